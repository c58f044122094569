import type { RouteConfig } from "@hono/zod-openapi";
import { listApprovalsRoute } from "../../api/approvals.ts";
import { dashboardRoute } from "../../api/dashboard.ts";
import { getMyDelegationsRoute } from "../../api/delegations.ts";
import { admits, type ShownRequest } from "./api.ts";
import { h } from "./dom.ts";
import { renderApprovals } from "./pages/approvals.ts";
import { renderAway } from "./pages/away.ts";
import { renderDecide } from "./pages/decide.ts";
import { renderNewRequest } from "./pages/new-request.ts";
import { renderRequest } from "./pages/request.ts";
import { renderRequestList } from "./pages/request-list.ts";
import type { SignedInUser } from "./sign-in.ts";

/** What a page is given when the portal shows it. */
export interface PageContext {
  /** The path's captured parts, e.g. a request id. */
  params: string[];
  user: SignedInUser;
  /** Aborted when the visitor leaves the page, to stop its refreshing. */
  signal: AbortSignal;
  navigate: (path: string, state?: { submitted?: ShownRequest }) => void;
}

export interface PortalPage {
  path: RegExp;
  title: string;
  /** The API route the page shows: its link is offered only to the users that route admits. */
  route?: RouteConfig;
  render: (main: HTMLElement, page: PageContext) => void;
}

/** What the form just submitted travels with the navigation, so its page can show it at once. */
const submittedFromHistory = (): ShownRequest | undefined => {
  const state = window.history.state as { submitted?: ShownRequest } | null;
  return state?.submitted;
};

const NEW_REQUEST_PAGE: PortalPage = {
  path: /^\/$/,
  title: "New request",
  render: (main, { user, navigate }) => renderNewRequest(main, user, navigate),
};

/** Every page of the portal (all behind sign-in); the first whose path matches is shown. */
const PAGES: PortalPage[] = [
  NEW_REQUEST_PAGE,
  {
    path: /^\/requests\/([^/]+)$/,
    title: "Request",
    // Request ids need no decoding ([A-Za-z0-9_-]); anything else is refused by the API as it stands.
    render: (main, { params: [requestId = ""], signal, user }) =>
      renderRequest(main, requestId, signal, user, submittedFromHistory()),
  },
  {
    path: /^\/my$/,
    title: "My requests",
    render: (main, { user }) => renderRequestList(main, { title: "My requests", mine: true, user }),
  },
  {
    path: /^\/all$/,
    title: "All requests",
    render: (main, { user }) => renderRequestList(main, { title: "All requests", mine: false, user }),
  },
  {
    path: /^\/approvals$/,
    title: "Approvals",
    route: listApprovalsRoute,
    render: (main, { user }) => renderApprovals(main, user),
  },
  {
    path: /^\/away$/,
    title: "Away",
    route: getMyDelegationsRoute,
    render: (main, { user }) => renderAway(main, user),
  },
  {
    path: /^\/dashboard$/,
    title: "Dashboard",
    route: dashboardRoute,
    // Chart.js comes with the page, in a chunk of its own: only those who open it download it.
    render: (main, { user, signal }) => {
      // Unless the visitor left meanwhile: the page they went to is showing.
      import("./pages/dashboard.ts").then(
        ({ renderDashboard }) => {
          if (!signal.aborted) renderDashboard(main, user, signal);
        },
        (error: unknown) => {
          if (!signal.aborted) main.replaceChildren(h("p", { role: "alert" }, String(error)));
        },
      );
    },
  },
  { path: /^\/decide$/, title: "Decide", render: (main, { user }) => renderDecide(main, user) },
];

/** The page of a path with what its path captured; any unknown path shows the new-request form. */
export const pageOf = (path: string): { page: PortalPage; params: string[] } => {
  for (const page of PAGES) {
    const match = page.path.exec(path);
    if (match) return { page, params: match.slice(1) };
  }
  return { page: NEW_REQUEST_PAGE, params: [] };
};

/** Whether the portal offers `user` a link to the page at `path`. */
export const offersLinkTo = (path: string, user: SignedInUser): boolean => {
  const { route } = pageOf(path).page;
  return route === undefined || admits(route, user);
};
