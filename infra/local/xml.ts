const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // A raw CR would be read back as LF.
  "\r": "&#xD;",
};

/** Characters XML 1.0 cannot carry even as references (they can only come from echoed input) become U+FFFD. */
export const xmlText = (text: string) =>
  text.replace(
    /[&<>"'\r]|[^\t\n\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu,
    (character) => XML_ESCAPES[character] ?? "\ufffd",
  );
