"Everything the series exports, in one import: `from mnist37.all import *`."
from .data import *
