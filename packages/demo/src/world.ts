/**
 * The fixed synthetic world behind the factual-recall phenomenon: 50 invented cities in 10
 * invented countries, each on one of 20 invented rivers and with its own invented dish. It never
 * depends on a corpus seed: every training run learns the same facts.
 */

/**
 * One city of the synthetic world with its three facts.
 *
 * @example
 * const { name, country, river, dish } = WORLD[0];
 */
export interface City {
  readonly name: string;
  readonly country: string;
  readonly river: string;
  readonly dish: string;
}

/**
 * The relations asked about in factual recall.
 *
 * @example
 * const r: Relation = 'dish';
 */
export type Relation = 'country' | 'river' | 'dish';

/**
 * All relations, in a fixed order.
 *
 * @example
 * RELATIONS; // ['country', 'river', 'dish']
 */
export const RELATIONS: readonly Relation[] = ['country', 'river', 'dish'];

/**
 * The 10 countries; country k holds cities 5k .. 5k+4.
 *
 * @example
 * COUNTRIES[0]; // 'Dravonia'
 */
export const COUNTRIES: readonly string[] = [
  'Dravonia',
  'Keltmar',
  'Osmira',
  'Valdren',
  'Tesmark',
  'Lunoria',
  'Brevast',
  'Carnelia',
  'Yssara',
  'Morvant',
];

const CITY_NAMES: readonly string[] = [
  'Velmora',
  'Tarsin',
  'Druvik',
  'Halvenna',
  'Corrin',
  'Brastow',
  'Kelmet',
  'Aldrune',
  'Fennick',
  'Lorvash',
  'Sabrel',
  'Miravel',
  'Ostun',
  'Pellago',
  'Zanthe',
  'Grenholt',
  'Vasko',
  'Thilmar',
  'Ebberly',
  'Rudavin',
  'Quillon',
  'Tessaly',
  'Harnwick',
  'Dovrel',
  'Myrrin',
  'Solvane',
  'Lunet',
  'Corvessa',
  'Pimbre',
  'Ardulin',
  'Stovra',
  'Kallum',
  'Vintaro',
  'Orsolo',
  'Bellhaven',
  'Castrel',
  'Nerrow',
  'Imbria',
  'Talvos',
  'Quennel',
  'Yselt',
  'Amberon',
  'Faldra',
  'Gorrick',
  'Sennaro',
  'Morvel',
  'Trevanne',
  'Ulmsted',
  'Caddock',
  'Wrenlow',
];

/**
 * The 20 rivers; country k has rivers 2k (through its first three cities) and 2k+1 (the last two).
 *
 * @example
 * RIVERS[0]; // 'Oss'
 */
export const RIVERS: readonly string[] = [
  'Oss',
  'Vey',
  'Lunn',
  'Arro',
  'Skell',
  'Dorva',
  'Imme',
  'Cass',
  'Brin',
  'Ruel',
  'Tilla',
  'Noor',
  'Eskel',
  'Varra',
  'Quenn',
  'Sarn',
  'Omber',
  'Halde',
  'Fira',
  'Wenna',
];

/**
 * The 50 dishes, one per city (lowercase, like ordinary food words).
 *
 * @example
 * DISHES[0]; // 'kelvo'
 */
export const DISHES: readonly string[] = [
  'kelvo',
  'brastine',
  'tarrowe',
  'plimbo',
  'fennet',
  'dukkel',
  'sorrin',
  'quambe',
  'vellach',
  'grissop',
  'marzel',
  'pottrel',
  'hulvin',
  'zesker',
  'lambrot',
  'crumbet',
  'olvash',
  'tindle',
  'morrak',
  'sablin',
  'fraskel',
  'nubbet',
  'goulda',
  'rissel',
  'pemble',
  'skarro',
  'venzi',
  'bollano',
  'cardel',
  'miskin',
  'torvash',
  'yelbin',
  'drossle',
  'kummet',
  'flimbo',
  'gravet',
  'luskin',
  'pashel',
  'wimbrot',
  'orrida',
  'zatka',
  'hobbet',
  'spruin',
  'klemmi',
  'barrush',
  'quorrel',
  'nettlin',
  'drubble',
  'salvin',
  'chovat',
];

/**
 * The 50 cities with their country, river and dish.
 *
 * @example
 * WORLD[0]; // { name: 'Velmora', country: 'Dravonia', river: 'Oss', dish: 'kelvo' }
 */
export const WORLD: readonly City[] = CITY_NAMES.map((name, i) => {
  const k = Math.floor(i / 5);
  return { name, country: COUNTRIES[k], river: RIVERS[2 * k + (i % 5 < 3 ? 0 : 1)], dish: DISHES[i] };
});

/**
 * The answer of one relation for one city.
 *
 * @example
 * factOf(WORLD[0], 'river'); // 'Oss'
 */
export function factOf(city: City, relation: Relation): string {
  return relation === 'country' ? city.country : relation === 'river' ? city.river : city.dish;
}

/**
 * Every possible answer of a relation (the candidate set for restricted-argmax scoring).
 *
 * @example
 * candidatesOf('country').length; // 10
 */
export function candidatesOf(relation: Relation): readonly string[] {
  return relation === 'country' ? COUNTRIES : relation === 'river' ? RIVERS : DISHES;
}
