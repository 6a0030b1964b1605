/** Entry point of the `mechlens` command. */
import { main } from './program.js';

await main(process.argv);
