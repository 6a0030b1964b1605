// Executes every ```ts block of packages/patching/README.md, so the documented examples stay runnable.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeReadmeExamples } from '../../../test-support/readme-examples.js';

const here = dirname(fileURLToPath(import.meta.url));
describeReadmeExamples(join(here, '..', 'README.md'), join(here, '.readme-tmp'), 2);
