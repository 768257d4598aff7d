// The pod id the plugin hands the daemon for one CNI attachment.
//
// CNI identifies an attachment by (network name, CNI_CONTAINERID, CNI_IFNAME) and says state
// should be keyed by exactly that (CNI 1.0, "General considerations"). The pod id is
//
//     cni/<network name>/<container id>/<ifname>
//
// None of the three parts can contain "/" (the spec restricts names and container ids to
// [A-Za-z0-9_.-], and Linux interface names never hold "/"), so the id is unambiguous and
// parseable. The "cni/<network>/" prefix lets GC find the pods this network created through CNI
// and leave alone pods made with `wren pod add` or by another network.

export const POD_ID_PREFIX = 'cni/';

export function podId(network: string, containerId: string, ifname: string): string {
  return `${POD_ID_PREFIX}${network}/${containerId}/${ifname}`;
}

/** The (container id, ifname) of a pod id this network created, or null for any other pod. */
export function parsePodId(network: string, id: string): { containerId: string; ifname: string } | null {
  const prefix = `${POD_ID_PREFIX}${network}/`;
  if (!id.startsWith(prefix)) return null;
  const rest = id.slice(prefix.length).split('/');
  if (rest.length !== 2 || rest[0] === '' || rest[1] === '') return null;
  return { containerId: rest[0]!, ifname: rest[1]! };
}
