// Optional sections ("Going further", "Under the hood") start folded (see mnist37.css): a button after the
// heading and its first paragraph opens them, and a link to anything inside one opens it too.
const OPTIONAL = 'section[id^="going-further"], section[id^="under-the-hood"]';
document.querySelectorAll(OPTIONAL).forEach(section => {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'optional-toggle';
  const show = open => {
    section.classList.toggle('open', open);
    button.setAttribute('aria-expanded', open);
    button.textContent = open ? 'Hide this optional section' : 'Show this optional section';
  };
  button.onclick = () => show(!section.classList.contains('open'));
  (section.querySelector(':scope > h2 + p') || section.querySelector('h2')).after(button);
  show(false);
});
function openTarget() {
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const section = target && target.closest(OPTIONAL);
  if (section && !section.classList.contains('open')) {
    section.querySelector('.optional-toggle').click();
    target.scrollIntoView();
  }
}
openTarget();
addEventListener('hashchange', openTarget);
