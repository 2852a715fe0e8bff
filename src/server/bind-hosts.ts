/**
 * What the listening address means for the Host names the worker answers (`ALLOWED_HOSTS`, see
 * src/middleware/host.ts). On loopback, the loopback names are enough. On one specific other
 * address, that address is how clients reach the server, so it is answered too. On every
 * interface (0.0.0.0, ::) only the user knows the names clients will use: the server keeps
 * answering loopback names only and says how to add others. A value the user set always wins.
 */

/** The launcher's decision: a value to force for `ALLOWED_HOSTS`, and lines to print. */
export interface BindHosts {
  allowedHosts: string | undefined;
  warnings: string[];
}

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

/** Whether `host` is a loopback address or name. */
export function isLoopbackBind(host: string): boolean {
  const name = host.toLowerCase();
  return (
    name === "localhost" || name === "::1" || name === "[::1]" || /^127(\.\d{1,3}){3}$/.test(name)
  );
}

/** The Host-header form of an address (IPv6 in brackets). */
function hostName(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

/**
 * Decides `ALLOWED_HOSTS` for a server listening on `bind`, given the environment's own value
 * and whether an API token is configured.
 */
export function bindHosts(
  bind: string,
  env: { ALLOWED_HOSTS?: string; PYRITE_API_TOKEN?: string },
): BindHosts {
  if (isLoopbackBind(bind)) return { allowedHosts: undefined, warnings: [] };
  const warnings: string[] = [];
  if (!env.PYRITE_API_TOKEN?.trim()) {
    warnings.push(
      `warning: listening on ${bind} without PYRITE_API_TOKEN: anyone who can reach this address can write`,
    );
  }
  const configured = env.ALLOWED_HOSTS?.trim();
  if (configured) return { allowedHosts: undefined, warnings };
  if (WILDCARDS.has(bind)) {
    warnings.push(
      `warning: listening on ${bind}, but answering only loopback Host names; set ALLOWED_HOSTS to the names clients use (e.g. ALLOWED_HOSTS=my-machine.lan,192.168.1.20)`,
    );
    return { allowedHosts: undefined, warnings };
  }
  return { allowedHosts: hostName(bind).toLowerCase(), warnings };
}
