// Configurations shared by the integration tests, so a scenario names what differs, not the whole file.

/**
 * The spec's hybrid shape: kubelb0 imported into `kubelbVrf` ("global" is the global table), eth1 into
 * customer-a (RD and RTs 64551:100). Periodic scans are an hour apart unless `scanInterval` says
 * otherwise, so they never race a test; `extra` is appended as is (an [api] section, say).
 */
export function kubelbConfig(
  opts: { kubelbVrf?: string; scanInterval?: number; extra?: string } = {},
): string {
  return `
[netlink]
  scan-interval = ${opts.scanInterval ?? 3600}
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
    vrf = "${opts.kubelbVrf ?? 'global'}"
[[vrfs]]
  [vrfs.config]
    name = "customer-a"
    rd = "64551:100"
    import-rt-list = ["64551:100"]
    export-rt-list = ["64551:100"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth1"]
${opts.extra ?? ''}`;
}
