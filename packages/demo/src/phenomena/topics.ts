/**
 * Topics: paragraphs of three to five sentences about one of six topics, each with its own
 * vocabulary. The set of sentence templates a paragraph uses is the unit of the train/eval split.
 */
import { fill, NAMES } from '../lexicon.js';
import { drawInPart, type Part, type Rng } from '../random.js';

/**
 * The six topics.
 *
 * @example
 * const t: Topic = 'weather';
 */
export type Topic = 'sports' | 'cooking' | 'weather' | 'music' | 'gardening' | 'computers';

/**
 * All topics, in a fixed order.
 *
 * @example
 * TOPICS[0]; // 'sports'
 */
export const TOPICS: readonly Topic[] = ['sports', 'cooking', 'weather', 'music', 'gardening', 'computers'];

/** Slot values per topic (`{Name}` is filled from the shared names). */
const SLOTS: Readonly<Record<Topic, Readonly<Record<string, readonly string[]>>>> = {
  sports: {
    sport: ['football', 'tennis', 'basketball', 'hockey', 'rugby', 'cricket', 'volleyball', 'baseball'],
    adj: ['exciting', 'thrilling', 'tough', 'close', 'fast', 'dramatic', 'tense'],
    player: ['striker', 'goalkeeper', 'captain', 'defender', 'runner', 'winger', 'sprinter'],
  },
  cooking: {
    veg: ['potato', 'pepper', 'mushroom', 'tomato', 'onion', 'cabbage', 'carrot', 'leek', 'courgette'],
    dish: ['soup', 'pasta', 'stew', 'curry', 'risotto', 'pie', 'omelette', 'casserole', 'noodles'],
    spice: ['pepper', 'salt', 'garlic', 'ginger', 'cinnamon', 'paprika', 'nutmeg', 'cumin'],
  },
  weather: {
    adj: ['sunny', 'cloudy', 'windy', 'foggy', 'chilly', 'humid', 'warm', 'freezing', 'stormy', 'misty'],
    day: ['Monday', 'Tuesday', 'Friday', 'Saturday', 'Sunday'],
    precip: ['rain', 'snow', 'hail', 'drizzle', 'sleet'],
  },
  music: {
    instrument: [
      'piano',
      'violin',
      'guitar',
      'drums',
      'cello',
      'flute',
      'trumpet',
      'saxophone',
      'harp',
      'clarinet',
    ],
    adj: ['slow', 'lively', 'gentle', 'loud', 'haunting', 'catchy'],
    genre: ['jazz', 'folk', 'rock', 'blues', 'opera', 'reggae', 'country'],
  },
  gardening: {
    plant: [
      'tomatoes',
      'beans',
      'roses',
      'tulips',
      'lettuce',
      'strawberries',
      'potatoes',
      'daffodils',
      'herbs',
    ],
    seed: ['carrot', 'pea', 'radish', 'pumpkin', 'sunflower', 'onion', 'spinach', 'parsley'],
    tool: ['spade', 'rake', 'hoe', 'trowel', 'shears', 'fork'],
  },
  computers: {
    device: ['laptop', 'computer', 'server', 'tablet', 'printer', 'router'],
    thing: ['program', 'script', 'website', 'database', 'app', 'browser', 'spreadsheet'],
    part: ['keyboard', 'mouse', 'screen', 'battery', 'cable', 'fan', 'charger'],
  },
};

const TEMPLATES: Readonly<Record<Topic, readonly string[]>> = {
  sports: [
    'The match was {adj} from the first whistle to the last.',
    '{Name} scored a late goal and the fans in the stadium cheered.',
    'The coach told the players to train harder before the next game.',
    'Our team won the league after a {adj} season.',
    'The {player} made a brilliant save in the second half.',
    '{Name} finished the race in first place and won a gold medal.',
    'The referee blew the whistle and the players left the pitch.',
    'Thousands of fans came to watch the final of the tournament.',
    'After a long training session, the {player} was tired.',
    'The {sport} season starts again in the autumn.',
    '{Name} has played {sport} for the local club since childhood.',
    'The champions lifted the trophy in front of their fans.',
    'The {player} stretched before the warm up and jogged around the track.',
    'A penalty in the final minute decided the {sport} match.',
    '{Name} signed a contract with a rival club over the summer.',
    'The crowd sang loudly when the home side equalised.',
  ],
  cooking: [
    '{Name} chopped the {veg} and added it to the pan.',
    'The {dish} needs to simmer for an hour on a low heat.',
    'Add a pinch of {spice} and stir the sauce slowly.',
    'The recipe calls for flour, butter, sugar and two eggs.',
    'Bake the bread in a hot oven until the crust is golden.',
    '{Name} tasted the {dish} and added more {spice}.',
    'The kitchen smelled of {spice} and fresh herbs.',
    'Whisk the eggs with the milk before you pour them into the bowl.',
    'Let the dough rest for twenty minutes under a clean towel.',
    'The chef sliced the {veg} thinly and fried it in olive oil.',
    'Serve the {dish} warm with a little cheese on top.',
    'A sharp knife makes chopping vegetables much easier.',
    'Grate some {spice} into the batter and fold it gently.',
    '{Name} roasted the {veg} with honey and thyme.',
    'Boil the noodles for eight minutes, then drain them.',
    'The {dish} tastes even better the next day.',
  ],
  weather: [
    'The forecast says there will be {precip} all afternoon.',
    'A cold wind blew from the north and the sky turned grey.',
    'By the evening the storm had passed and the clouds cleared.',
    'It was {adj} when {Name} left the house this morning.',
    'Heavy snow fell overnight and covered the roads.',
    'The temperature dropped below freezing after midnight.',
    'Thunder rolled over the hills and lightning lit up the sky.',
    '{Name} took an umbrella because the clouds looked dark.',
    'The morning fog lifted slowly as the sun came out.',
    'A heat wave is expected on {day}.',
    'The wind was so strong that the trees bent over.',
    'It will be {adj} on {day}, with a chance of {precip}.',
    'The barometer fell sharply before the gale arrived.',
    'A rainbow appeared over the valley after the shower.',
    'Frost covered the windscreen of every car on the street.',
    'The humidity made the afternoon feel hotter than it was.',
  ],
  music: [
    'The band played their new song at the concert last night.',
    '{Name} practices the {instrument} every evening after dinner.',
    'The singer hit the high note and the crowd cheered.',
    'The orchestra tuned their instruments before the show.',
    'This album has a {adj} rhythm and a beautiful melody.',
    'The drummer kept a steady beat through the whole song.',
    '{Name} wrote the lyrics and the music for the chorus.',
    'The choir sang three songs at the {genre} festival.',
    'The concert hall was full for the opening night.',
    '{Name} learned to read music as a child.',
    'The guitarist played a long solo at the end of the song.',
    'The band is recording a {genre} album in the studio.',
    'The conductor raised her baton and the symphony began.',
    '{Name} tuned the {instrument} before the rehearsal.',
    'The pianist played the sonata from memory.',
    'The audience clapped along to the {adj} chorus.',
  ],
  gardening: [
    '{Name} planted {plant} in the garden.',
    'Water the seedlings early in the morning.',
    'The roses bloomed after a week of warm sunshine.',
    'Pull the weeds before they spread across the flower bed.',
    'Dig a small hole with a {tool} and put the bulb in the soil.',
    'The compost heap is full of leaves and grass cuttings.',
    '{Name} pruned the apple tree in late winter.',
    'Spread mulch around the {plant} to keep the soil moist.',
    'The vegetable patch needs more sunlight.',
    'Snails ate most of the lettuce last night.',
    'The gardener trimmed the hedge with sharp {tool}.',
    'Sow the {seed} seeds in rows and cover them lightly.',
    'The greenhouse keeps the seedlings warm through the spring.',
    '{Name} harvested the {plant} at the end of the summer.',
    'Earthworms help to keep the soil healthy.',
    'Cut back the lavender after it has flowered.',
  ],
  computers: [
    'The {device} froze, so {Name} restarted it.',
    'Save your files before you install the update.',
    'The {thing} crashed because of a bug in the code.',
    '{Name} wrote a small script to sort the data.',
    'The server was slow because too many users logged in.',
    'Plug the {part} into the port on the back of the {device}.',
    'The new software runs faster on this {device}.',
    'Back up the hard drive once a week.',
    'The {thing} loads quickly after the upgrade.',
    '{Name} fixed the bug and sent the code for review.',
    'Type your password and press enter to log in.',
    'The {part} stopped working when the {device} overheated.',
    'The engineer deployed the new version to the cloud.',
    '{Name} debugged the {thing} until the tests passed.',
    'Encrypt the backup before you upload it.',
    'The network went down and nobody could reach the server.',
  ],
};

/** Frequent words that say nothing about a topic. */
const COMMON_WORDS = new Set([
  'after',
  'again',
  'back',
  'because',
  'before',
  'first',
  'from',
  'have',
  'into',
  'last',
  'little',
  'long',
  'made',
  'more',
  'most',
  'much',
  'need',
  'needs',
  'next',
  'night',
  'once',
  'over',
  'says',
  'small',
  'start',
  'starts',
  'than',
  'that',
  'their',
  'them',
  'there',
  'they',
  'this',
  'through',
  'under',
  'until',
  'were',
  'when',
  'will',
  'with',
  'whole',
  'your',
]);

/**
 * Characteristic lowercase words of each topic (for the topic classifier and for induction lists).
 *
 * @example
 * TOPIC_WORDS.music.includes('melody'); // true
 */
export const TOPIC_WORDS: Readonly<Record<Topic, readonly string[]>> = topicWords();

/** Each topic's words that occur in no other topic's slots or templates. */
function topicWords(): Record<Topic, string[]> {
  const perTopic = TOPICS.map((t) => {
    const fromSlots = Object.values(SLOTS[t]).flat();
    const fromTemplates = TEMPLATES[t].flatMap((s) => s.replace(/\{\w+\}/g, ' ').match(/[A-Za-z]+/g) ?? []);
    return new Set(
      [...fromSlots, ...fromTemplates].filter(
        (w) => /^[a-z]+$/.test(w) && w.length >= 4 && !COMMON_WORDS.has(w),
      ),
    );
  });
  const out = {} as Record<Topic, string[]>;
  TOPICS.forEach((t, i) => {
    out[t] = [...perTopic[i]].filter((w) => perTopic.every((other, j) => j === i || !other.has(w))).sort();
  });
  return out;
}

/**
 * One topic paragraph.
 *
 * @example
 * const { text, topic } = topicSample(new Rng(1), 'eval');
 */
export interface TopicSample {
  readonly text: string;
  readonly topic: Topic;
  /** The template indices used, in order (the split unit is their set). */
  readonly templates: readonly number[];
}

/**
 * The split key of a paragraph's template set.
 *
 * @example
 * topicSetKey('music', [3, 1]) === topicSetKey('music', [1, 3]); // true
 */
export function topicSetKey(topic: Topic, templates: readonly number[]): string {
  return `topic|${topic}|${[...templates].sort((a, b) => a - b).join(',')}`;
}

/**
 * Fraction of (topic, template set) combinations held out for evaluation.
 *
 * @example
 * TOPIC_HELDOUT_FRACTION; // 0.2
 */
export const TOPIC_HELDOUT_FRACTION = 0.2;

/**
 * Generates one paragraph about a random topic from 3–5 of its sentence templates. The set of
 * templates used is drawn from the requested part of a fixed partition.
 *
 * @example
 * topicSample(new Rng(9), 'eval').topic; // e.g. 'weather'
 */
export function topicSample(rng: Rng, part: Part): TopicSample {
  const topic = rng.pick(TOPICS);
  const n = rng.range(3, 5);
  const picked = drawInPart(
    part,
    TOPIC_HELDOUT_FRACTION,
    () => rng.sample(indices(TEMPLATES[topic].length), n),
    (ids) => topicSetKey(topic, ids),
  );
  const sentences = picked.map((i) => {
    const slots: Record<string, string> = { Name: rng.pick(NAMES) };
    for (const [k, vs] of Object.entries(SLOTS[topic])) slots[k] = rng.pick(vs);
    return fill(TEMPLATES[topic][i], slots);
  });
  return { text: sentences.join(' '), topic, templates: picked };
}

function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
