/**
 * Mail providers that ignore dots in the local part, and the domain each one's mailboxes are under:
 * Gmail delivers `a.b@gmail.com`, `ab@gmail.com` and `ab@googlemail.com` to the same person. Anywhere
 * else a dot may tell two people apart, so it is kept.
 */
const DOTLESS_MAILBOX_DOMAINS: ReadonlyMap<string, string> = new Map([
  ["gmail.com", "gmail.com"],
  ["googlemail.com", "gmail.com"],
]);

/**
 * The mailbox an address reaches, as one string per person: two spellings of one person's address
 * give the same string, which is what self-approval is judged by (never the address as typed).
 * Lower-case, the local part cut at its first `+` (plus-addressing: `ana+x@` reaches `ana@`), and for
 * Gmail without dots and under one domain. It may fold two people together only where their mail
 * provider already does, so it errs towards calling two addresses one person.
 */
export const canonicalEmail = (email: string): string => {
  const lowerCase = email.trim().toLowerCase();
  // The domain follows the last '@': a quoted local part may hold one.
  const at = lowerCase.lastIndexOf("@");
  if (at < 0) return lowerCase;
  const domain = lowerCase.slice(at + 1);
  const [mailbox = ""] = lowerCase.slice(0, at).split("+", 1);
  const dotless = DOTLESS_MAILBOX_DOMAINS.get(domain);
  return dotless === undefined ? `${mailbox}@${domain}` : `${mailbox.replaceAll(".", "")}@${dotless}`;
};
