/**
 * How many requests one page of `GET /api/requests` holds when not asked, and at most. Apart from the
 * API so that its clients, the portal among them, share the numbers without loading the API.
 */
export const PAGE_SIZE = { default: 25, max: 100 } as const;
