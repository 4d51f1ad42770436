// Typesets TeX for docs/conf.py while Sphinx builds: one JSON line [tex, displayMode] in, one JSON line out
// (the HTML, or {"error": message}). The site then needs only KaTeX's stylesheet and fonts, no math JavaScript.
const katex = require('katex');
require('readline').createInterface({input: process.stdin}).on('line', line => {
  const [tex, displayMode] = JSON.parse(line);
  let out;
  try { out = katex.renderToString(tex, {displayMode, throwOnError: true}); } catch (e) { out = {error: e.message}; }
  process.stdout.write(JSON.stringify(out) + '\n');
});
