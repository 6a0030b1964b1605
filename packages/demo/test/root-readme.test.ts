// Executes every ```ts block of the repository's README.md (they use @mechlens/demo, so they run here).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeReadmeExamples } from '../../../test-support/readme-examples.js';

const here = dirname(fileURLToPath(import.meta.url));
describeReadmeExamples(join(here, '..', '..', '..', 'README.md'), join(here, '.root-readme-tmp'), 2);
