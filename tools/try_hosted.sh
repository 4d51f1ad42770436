#!/usr/bin/env bash
# Simulate a hosted notebook (Colab, Kaggle): a fresh venv with nothing but ipykernel runs notebook 02
# and its exercises from a folder outside the repo. Their own install cell installs mnist37, pointed at
# this clone instead of the git URL. Needs the dev venv (for nbconvert) and MNIST37_ARCHIVE (no network).
#   MNIST37_ARCHIVE=/path/to/mnist_sample.tgz bash tools/try_hosted.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
: "${MNIST37_ARCHIVE:?set MNIST37_ARCHIVE to a copy of mnist_sample.tgz}"
export FASTAI_HOME="$work/fastai"          # a user's empty data folder

python3 -m venv "$work/kernel"
"$work/kernel/bin/pip" install -q ipykernel
"$work/kernel/bin/python" -m ipykernel install --prefix "$work/kernel" --name hosted >/dev/null
export JUPYTER_PATH="$work/kernel/share/jupyter"
echo "fresh kernel venv: $("$work/kernel/bin/pip" list --format=freeze | wc -l) packages, mnist37:" \
     "$(cd "$work" && "$work/kernel/bin/python" -c 'import mnist37' 2>&1 | tail -1)"

mkdir "$work/outside"
for nb in 02_pixel_similarity 02_pixel_similarity_exercises; do
  sed "s#git+https://github.com/[^\"@]*@[A-Za-z0-9_.-]*#file://$repo#" "$repo/nbs/$nb.ipynb" > "$work/outside/$nb.ipynb"
  grep -o 'mnist37\[nb\] @ [^"\\]*' "$work/outside/$nb.ipynb" | head -1
done
cd "$work/outside"
for nb in 02_pixel_similarity 02_pixel_similarity_exercises; do
  start=$(date +%s)
  "$repo/.venv/bin/jupyter" nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=hosted \
    --ExecutePreprocessor.timeout=1200 --output "$work/outside/ran-$nb.ipynb" "$nb.ipynb" 2>&1 \
    | grep -v 'WARNING | Kernel is running over TCP' || { echo "FAILED: $nb"; exit 1; }
  echo "PASSED: $nb in $(( $(date +%s) - start )) s"
done
"$work/kernel/bin/pip" list --format=freeze | grep -Ei '^(mnist37|fastai|fastcore|torch|nbdev)=' || true
"$work/kernel/bin/pip" check && echo "pip check: no version conflicts"
