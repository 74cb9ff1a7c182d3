import { run } from './main';

// run() never throws; exit explicitly so idle sockets (SDK keep-alive) cannot hold the job open.
void run().then(() => process.exit(process.exitCode ?? 0));
