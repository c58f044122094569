/**
 * One SDK client per AWS region, made the first time a region is asked for and kept for the module's
 * life: a request names the region its resource goes to, and a client is bound to one region (and
 * holds its connections), so making one per call would waste both.
 */
export const clientPerRegion = <Client>(create: (region: string) => Client): ((region: string) => Client) => {
  const clients = new Map<string, Client>();
  return (region) => {
    const existing = clients.get(region);
    if (existing) return existing;
    const client = create(region);
    clients.set(region, client);
    return client;
  };
};
