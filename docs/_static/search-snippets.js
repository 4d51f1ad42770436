// Search snippets quote the page's text. Drop what isn't prose before Sphinx picks one: the theme's buttons and
// prev/next footer, and KaTeX's MathML copy of each formula (its TeX source would show up raw).
(() => {
  if (typeof Search === 'undefined' || !Search.htmlToText) return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (html, anchor) => {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    doc.querySelectorAll('.bd-header-article, .prev-next-area, .theme-switch-button, #print-main-content, .katex-mathml')
      .forEach(el => el.remove());
    return htmlToText(doc.documentElement.outerHTML, anchor);
  };
})();
