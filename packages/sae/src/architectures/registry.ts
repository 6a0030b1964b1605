/**
 * The architecture registry, keyed by the `architecture` string of an SAE config.
 */
import { closeMatches } from '@mechlens/core';
import { ARCHITECTURES, type ArchitectureName } from '../config.js';
import { gsaeArchitecture } from './gsae.js';
import { reluArchitecture } from './relu.js';
import { topafaArchitecture } from './topafa.js';
import { topkArchitecture } from './topk.js';
import type { Architecture } from './types.js';

const REGISTRY: Record<ArchitectureName, Architecture> = {
  topk: topkArchitecture,
  gsae: gsaeArchitecture,
  topafa: topafaArchitecture,
  relu: reluArchitecture,
};

/**
 * The implementation of an architecture; an unknown name is an error listing the known ones.
 *
 * @example
 * architecture('topk').description;
 */
export function architecture(name: string): Architecture {
  const a = (REGISTRY as Record<string, Architecture | undefined>)[name];
  if (!a) {
    const near = closeMatches(name, [...ARCHITECTURES]);
    throw new Error(
      `unknown SAE architecture '${name}'${near.length ? ` (did you mean ${near.map((m) => `'${m}'`).join(', ')}?)` : ''}; known: ${ARCHITECTURES.join(', ')}`,
    );
  }
  return a;
}

/**
 * Every registered architecture.
 *
 * @example
 * for (const a of architectures()) console.log(a.name, a.description);
 */
export function architectures(): Architecture[] {
  return ARCHITECTURES.map((n) => REGISTRY[n]);
}
