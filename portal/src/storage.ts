const EMAIL_KEY = "approvals.requesterEmail";

/** The email last used on this browser, so "My requests" knows whose requests to show. */
export const rememberedEmail = (): string => {
  try {
    return localStorage.getItem(EMAIL_KEY) ?? "";
  } catch {
    return "";
  }
};

export const rememberEmail = (email: string) => {
  try {
    localStorage.setItem(EMAIL_KEY, email.trim());
  } catch {
    // Private browsing may refuse storage; the portal still works, it just won't remember.
  }
};
