// Entry point bundled by ncc in db-bundle-drivers.test.ts: runs the scenario in argv[2], prints JSON.
import { ActionError } from '../../src/errors';
import { runScenario } from './db-scenario';

try {
  process.stdout.write(JSON.stringify(runScenario(process.argv[2])));
} catch (e) {
  const code = e instanceof ActionError ? e.code : 'UNCAUGHT';
  process.stderr.write(`${code}: ${e instanceof ActionError ? e.fullMessage : String(e)}\n`);
  process.exitCode = 3;
}
