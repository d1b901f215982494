"""A class decorator for Python bases over pybind11 classes (seek.data.Dataset, seek.train.Callback).

A pybind11 base must be initialised before its C++ part is used, but PyTorch users write
subclasses whose __init__ does not call super().__init__() (torch.utils.data.Dataset allows
it). The decorated class's __init__ initialises the C++ base once, and every subclass that
defines its own __init__ gets it wrapped so that the base is initialised first.
"""


def initialises_cpp_base(cpp_base):
    def decorate(cls):
        flag = "_seek_" + cls.__name__ + "_base_initialised"

        def __init__(self):
            if not self.__dict__.get(flag, False):
                self.__dict__[flag] = True
                cpp_base.__init__(self)

        def __init_subclass__(sub, **kwargs):
            super(cls, sub).__init_subclass__(**kwargs)
            own_init = sub.__dict__.get("__init__")
            if own_init is None:
                return

            def init(self, *args, **kw):
                __init__(self)
                own_init(self, *args, **kw)

            init.__doc__ = own_init.__doc__
            sub.__init__ = init

        __init__.__doc__ = "Initialises the C++ base (once per object)."
        cls.__init__ = __init__
        cls.__init_subclass__ = classmethod(__init_subclass__)
        return cls

    return decorate
