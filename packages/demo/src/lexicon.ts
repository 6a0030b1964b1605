/**
 * Shared word lists of the demo corpus. Every entry is one word (letters only), so it is one token
 * of the demo tokenizer in each position it occurs in.
 */

/**
 * First names used by IOI and as characters elsewhere (50 female, 50 male).
 *
 * @example
 * NAMES.includes('Mary'); // true
 */
export const NAMES: readonly string[] = [
  'Mary',
  'Anna',
  'Emma',
  'Sarah',
  'Laura',
  'Julia',
  'Alice',
  'Kate',
  'Lucy',
  'Sophie',
  'Emily',
  'Hannah',
  'Rachel',
  'Claire',
  'Helen',
  'Olivia',
  'Chloe',
  'Megan',
  'Paula',
  'Nina',
  'Linda',
  'Susan',
  'Karen',
  'Diana',
  'Fiona',
  'Ellen',
  'Rebecca',
  'Amy',
  'Jessica',
  'Victoria',
  'Natalie',
  'Irene',
  'Monica',
  'Tina',
  'Wendy',
  'Zoe',
  'Carol',
  'Martha',
  'Lisa',
  'Jane',
  'Ruth',
  'Joan',
  'Sandra',
  'Teresa',
  'Vera',
  'Ingrid',
  'Greta',
  'Nora',
  'Lena',
  'Clara',
  'John',
  'David',
  'Michael',
  'James',
  'Robert',
  'Peter',
  'Daniel',
  'Thomas',
  'Paul',
  'Mark',
  'Steven',
  'Andrew',
  'George',
  'Edward',
  'Henry',
  'Richard',
  'Charles',
  'Samuel',
  'Simon',
  'Oliver',
  'Jack',
  'Luke',
  'Adam',
  'Brian',
  'Kevin',
  'Eric',
  'Frank',
  'Gary',
  'Harry',
  'Ian',
  'Kyle',
  'Leo',
  'Martin',
  'Neil',
  'Oscar',
  'Philip',
  'Ryan',
  'Scott',
  'Victor',
  'Walter',
  'Arthur',
  'Bruce',
  'Colin',
  'Dennis',
  'Felix',
  'Gordon',
  'Hugo',
  'Ivan',
  'Jonah',
  'Louis',
];

/**
 * Places for IOI scenes (used after "the").
 *
 * @example
 * IOI_PLACES[0]; // 'store'
 */
export const IOI_PLACES: readonly string[] = [
  'store',
  'market',
  'park',
  'station',
  'library',
  'beach',
  'school',
  'office',
  'garden',
  'museum',
  'restaurant',
  'cafe',
  'hospital',
  'bakery',
  'harbor',
  'farm',
  'zoo',
  'cinema',
  'church',
  'bank',
  'lake',
  'castle',
  'festival',
  'mall',
  'hotel',
  'airport',
  'theater',
  'bridge',
  'square',
  'stadium',
  'pharmacy',
  'gallery',
  'canteen',
  'pier',
  'village',
  'barn',
  'bookshop',
  'courtyard',
  'playground',
  'fountain',
];

/**
 * Objects handed over in IOI scenes (used after "the" / "a").
 *
 * @example
 * IOI_OBJECTS.includes('apple'); // true
 */
export const IOI_OBJECTS: readonly string[] = [
  'apple',
  'book',
  'ball',
  'key',
  'letter',
  'ring',
  'bottle',
  'cup',
  'pen',
  'bag',
  'hat',
  'basket',
  'flower',
  'ticket',
  'box',
  'coin',
  'map',
  'umbrella',
  'scarf',
  'drink',
  'cake',
  'sandwich',
  'phone',
  'camera',
  'watch',
  'candle',
  'blanket',
  'toy',
  'kite',
  'shell',
  'card',
  'necklace',
  'orange',
  'jar',
  'notebook',
  'pencil',
  'guitar',
  'lamp',
  'plate',
  'painting',
  'spoon',
  'brush',
  'mirror',
  'pillow',
  'wallet',
  'glove',
  'helmet',
  'puzzle',
  'teapot',
  'rope',
  'feather',
  'stone',
  'bracelet',
  'bucket',
  'ladder',
  'violin',
  'parcel',
  'envelope',
  'pear',
  'peach',
];

/**
 * Past-tense transfer verbs of IOI ("X {verb} the ball to Y").
 *
 * @example
 * IOI_VERBS[0]; // 'gave'
 */
export const IOI_VERBS: readonly string[] = [
  'gave',
  'handed',
  'passed',
  'threw',
  'sent',
  'showed',
  'offered',
  'brought',
  'lent',
  'sold',
  'returned',
  'tossed',
  'delivered',
  'mailed',
];

/**
 * Capitalises the first letter.
 *
 * @example
 * capitalize('close the door'); // 'Close the door'
 */
export function capitalize(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}

/**
 * The word with its indefinite article ("an apple", "a ball").
 *
 * @example
 * withArticle('umbrella'); // 'an umbrella'
 */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/**
 * Fills `{slot}` placeholders of a template.
 *
 * @example
 * fill('{a} and {b}', { a: 'Mary', b: 'John' }); // 'Mary and John'
 */
export function fill(template: string, slots: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => {
    const v = slots[k];
    if (v === undefined) throw new Error(`template slot {${k}} has no value in "${template}"`);
    return v;
  });
}
