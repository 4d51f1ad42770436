"Everything the series exports, in one import: `from mnist37.all import *`."
from .data import *
from .pixels import *
from .baseline import *
from .broadcast import *
from .gradients import *
from .sgd import *
from .learner import *
