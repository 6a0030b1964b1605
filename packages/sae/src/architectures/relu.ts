/**
 * The ReLU SAE with an L1 penalty (the "standard" SAE of Anthropic 2023 / SAELens), as a dense baseline:
 * every latent is `ReLU(z_i)`; sparsity comes from the training loss.
 */
import type { Architecture, Code, SelectInput } from './types.js';

export const reluArchitecture: Architecture = {
  name: 'relu',
  description: 'ReLU with an L1 sparsity penalty (dense baseline, SAELens "standard")',
  kind: 'dense',
  saelensArchitecture: 'standard',
  select({ a }: SelectInput): Code {
    return { values: a.clone(), indices: null };
  },
};
