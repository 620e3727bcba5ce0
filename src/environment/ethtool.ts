// SPDX-License-Identifier: GPL-2.0-only
// The ethtool ioctl (SIOCETHTOOL) through koffi: a device's driver, version,
// firmware and bus (ETHTOOL_GDRVINFO), and its features by name
// (ETHTOOL_GSSET_INFO and ETHTOOL_GSTRINGS for the names, ETHTOOL_GFEATURES
// for the bits). Never by running ethtool(8) and parsing its output.
import {
  AF_INET, ETHTOOL_GDRVINFO, ETHTOOL_GFEATURES, ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS, ETH_SS_FEATURES, SIOCETHTOOL, SOCK_DGRAM,
} from '../libc/constants.js';
import { DRVINFO, ETH_GSTRING_LEN, FEATURES_BLOCK, GFEATURES, GSTRINGS, IFREQ, SSET_INFO } from '../libc/layout.js';
import { allocNative, close, errno, ioctl, socket } from '../libc/libc.js';

export interface DriverInfo {
  driver: string;
  version: string;
  firmware: string;
  bus: string;
}

/** One feature: whether the device can have it, whether it is on, whether it can be changed. */
export interface Feature {
  available: boolean;
  active: boolean;
  requested: boolean;
  fixed: boolean;
}

const SOCK_CLOEXEC = 0o2000000;

const text = (u8: Uint8Array, off: number, len: number): string => {
  const s = u8.subarray(off, off + len);
  const end = s.indexOf(0);
  return Buffer.from(s.subarray(0, end < 0 ? len : end)).toString('latin1');
};

/** An ethtool ioctl on device `name` with `data` (native memory): 0, or the errno. */
function ethtool(fd: number, name: string, data: number): number {
  const ifr = allocNative(IFREQ.size);
  ifr.u8.set(Buffer.from(name.slice(0, 15), 'latin1'), IFREQ.ifr_name);
  ifr.dv.setBigUint64(IFREQ.ifr_data, BigInt(data), true);
  return ioctl(fd, SIOCETHTOOL, ifr.addr) === 0 ? 0 : errno();
}

/**
 * A socket to ask through: ethtool ioctls act on the devices of the socket's
 * network namespace. `fd` given: use it (a socket opened in another namespace).
 */
export class Ethtool {
  private readonly own: boolean;
  readonly fd: number;

  constructor(fd?: number) {
    this.own = fd === undefined;
    this.fd = fd ?? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }

  close(): void {
    if (this.own && this.fd >= 0) close(this.fd);
  }

  /** ETHTOOL_GDRVINFO, or the errno (EOPNOTSUPP when the driver has no such answer). */
  driverInfo(name: string): DriverInfo | number {
    const b = allocNative(DRVINFO.size);
    b.dv.setUint32(DRVINFO.cmd, ETHTOOL_GDRVINFO, true);
    const e = ethtool(this.fd, name, b.addr);
    if (e) return e;
    return {
      driver: text(b.u8, DRVINFO.driver, 32),
      version: text(b.u8, DRVINFO.version, 32),
      firmware: text(b.u8, DRVINFO.fw_version, 32),
      bus: text(b.u8, DRVINFO.bus_info, 32),
    };
  }

  /** Every feature of the device by its ethtool name (tx-scatter-gather, tx-checksum-ipv4, …), or the errno. */
  features(name: string): Map<string, Feature> | number {
    const info = allocNative(SSET_INFO.size + 4);
    info.dv.setUint32(SSET_INFO.cmd, ETHTOOL_GSSET_INFO, true);
    info.dv.setBigUint64(SSET_INFO.sset_mask, 1n << BigInt(ETH_SS_FEATURES), true);
    let e = ethtool(this.fd, name, info.addr);
    if (e) return e;
    if ((info.dv.getBigUint64(SSET_INFO.sset_mask, true) & (1n << BigInt(ETH_SS_FEATURES))) === 0n) return 0;
    const count = info.dv.getUint32(SSET_INFO.size, true);
    const strings = allocNative(GSTRINGS.size + count * ETH_GSTRING_LEN);
    strings.dv.setUint32(GSTRINGS.cmd, ETHTOOL_GSTRINGS, true);
    strings.dv.setUint32(GSTRINGS.string_set, ETH_SS_FEATURES, true);
    strings.dv.setUint32(GSTRINGS.len, count, true);
    e = ethtool(this.fd, name, strings.addr);
    if (e) return e;
    const blocks = Math.ceil(count / 32);
    const feats = allocNative(GFEATURES.size + blocks * FEATURES_BLOCK.size);
    feats.dv.setUint32(GFEATURES.cmd, ETHTOOL_GFEATURES, true);
    feats.dv.setUint32(GFEATURES.sizeField, blocks, true);
    e = ethtool(this.fd, name, feats.addr);
    if (e) return e;
    const out = new Map<string, Feature>();
    for (let i = 0; i < count; i++) {
      const n = text(strings.u8, GSTRINGS.size + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
      if (!n) continue;
      const at = GFEATURES.size + (i >> 5) * FEATURES_BLOCK.size;
      const bit = 1 << (i & 31);
      const word = (off: number): boolean => (feats.dv.getUint32(at + off, true) & bit) !== 0;
      out.set(n, {
        available: word(FEATURES_BLOCK.available),
        active: word(FEATURES_BLOCK.active),
        requested: word(FEATURES_BLOCK.requested),
        fixed: word(FEATURES_BLOCK.never_changed),
      });
    }
    return out;
  }
}
