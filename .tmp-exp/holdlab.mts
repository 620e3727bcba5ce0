import { createLab } from '../src/lab/lab.js';
const lab = await createLab({ prefix: 'mzc-exp' });
console.log(lab.txNs, lab.rxNs, lab.dev);
process.on('SIGTERM', async () => { await lab.destroy(); process.exit(0); });
setInterval(() => {}, 1000);
