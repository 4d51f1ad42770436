"Everything the series exports, in one import: `from mnist37.all import *`."
from .data import *
from .pixels import *
from .pixel_similarity import *
from .broadcasting import *
from .gradients import *
from .sgd import *
from .mnist_sgd import *
from .plain_pytorch import *
from .your_digit import *
