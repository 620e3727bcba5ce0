// SPDX-License-Identifier: GPL-2.0-only
// Fetch and build the kernel's reference programs and print where they are
// (scripts/fetch-reference.sh runs this):  node --import tsx src/reference/main.ts [--json | --reason]
import { ensureMmapReference } from './mmap.js';
import { ensureReference, referenceUnavailableReason } from './reference.js';

{
  const args = process.argv.slice(2);
  if (args.includes('--reason')) {
    const why = await referenceUnavailableReason();
    console.log(why ?? 'available');
    process.exit(why ? 1 : 0);
  }
  try {
    const ref = await ensureReference({ log: (l) => process.stderr.write(l + '\n') });
    const mmapRef = await ensureMmapReference({ log: (l) => process.stderr.write(l + '\n') });
    if (args.includes('--json')) console.log(JSON.stringify({ ...ref, mmapBin: mmapRef.bin }));
    else {
      console.log(`version ${ref.version}\nbin     ${ref.bin}\nscript  ${ref.script}\nsource  ${ref.source}\n` +
        `uring   ${ref.uringBin}\nuring.sh ${ref.uringScript}\ninclude ${ref.include}` +
        `\ntcp_mmap ${mmapRef.bin}\nudpgso  ${ref.udpgsoDir}`);
    }
  } catch (e) {
    process.stderr.write(`reference: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
