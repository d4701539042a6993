/*
 * aeron_cffi._hot: the per-message paths (offer, poll, controlled_poll, a fragment
 * assembler's delivery) as CPython methods and callbacks compiled into the cffi
 * extension, so the process keeps one copy of libaeron.
 *
 * Why not cffi: cffi releases and retakes the GIL around every C call and calls a
 * handler through a C-to-Python trampoline that makes a cdata per argument. These
 * methods hold the GIL from their open check to their return (every Aeron call they
 * make is non-blocking), and call the handler directly.
 *
 * What holding the GIL buys (aeron_cffi/_lifetime.py has the rules):
 *   - offer runs no Python code between its check of `closed` and its return, so no
 *     close() can run in between: it needs no in-flight count. close() sets `closed`
 *     (under the GIL) before it calls C's close.
 *   - poll runs the user's handler, which may close the subscription or let another
 *     thread close it, so it counts itself in flight in the owner's `_calls` list as
 *     the Python paths do, and finishes a close that waited for it.
 * Anything outside the common case (a closed object, a fragment assembler, an
 * argument of another type, a reserved value supplier, a terminal offer result) is
 * handed to the Python method of the owner, which raises or handles it as before.
 *
 * Compiled against the 3.10 limited API like the rest of the extension: what later
 * stable ABIs add (vectorcall, FragmentView's buffer protocol) is used only on the
 * interpreters that have it, found at run time (hot_call2, hot_view_buffer_slots).
 */
#include <dlfcn.h>
#include <structmember.h>

#ifndef PyBUF_READ
#define PyBUF_READ 0x100 /* PyMemoryView_FromMemory's flag: in the stable ABI, in the limited headers only from 3.11 */
#endif

/* Raise aeron_cffi.errors.ResourceClosedError (looked up here: only error paths need it). */
static void hot_raise_closed(const char *message)
{
    PyObject *errors = PyImport_ImportModule("aeron_cffi.errors");
    PyObject *error = NULL == errors ? NULL : PyObject_GetAttrString(errors, "ResourceClosedError");
    if (NULL != error)
    {
        PyErr_SetString(error, message);
    }
    Py_XDECREF(error);
    Py_XDECREF(errors);
}

/* PyObject_Vectorcall calls a handler without making an argument tuple. It is in the
 * stable ABI from 3.12 and exported with the same signature by 3.11; the 3.10 headers this
 * is compiled with do not declare it, so it is looked up when the module is made (3.10,
 * which does not export it, calls through a tuple). */
typedef PyObject *(*hot_vectorcall_t)(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames);
static hot_vectorcall_t hot_vectorcall;
#define HOT_VECTORCALL_ARGUMENTS_OFFSET ((size_t)1 << (8 * sizeof(size_t) - 1)) /* PY_VECTORCALL_ARGUMENTS_OFFSET */

static PyObject *hot_call2(PyObject *callable, PyObject *first, PyObject *second)
{
    if (NULL != hot_vectorcall)
    {
        PyObject *arguments[3] = {NULL, first, second}; /* [0]: the callee may use it (the offset flag) */
        return hot_vectorcall(callable, arguments + 1, 2 | HOT_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    return PyObject_CallFunctionObjArgs(callable, first, second, NULL);
}

/* interned names, made with the module */
static PyObject *hot_str_fragment_limit;
static PyObject *hot_str_view;
static PyObject *hot_str_finish;
static PyObject *hot_str_check_open;
static PyObject *hot_str_delivery;

static void hot_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
    tp_free(self);
    Py_DECREF(type);
}

/* --- Header: the C side of aeron_cffi.header.Header ---------------------------------- */

typedef struct
{
    PyObject_HEAD
    const aeron_header_t *header; /* set by a hot poll for the handler call, else NULL */
    PyObject *cdata;             /* `_ptr`: set by the cffi trampolines (assembler paths) */
}
hot_header_t;

static PyObject *hot_header_address(PyObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)((hot_header_t *)self)->header);
}

static void hot_header_dealloc(PyObject *self)
{
    Py_CLEAR(((hot_header_t *)self)->cdata);
    hot_dealloc(self);
}

static PyMemberDef hot_header_members[] = {
    {"_ptr", T_OBJECT, offsetof(hot_header_t, cdata), 0, "the header as a cffi pointer (cffi trampolines)"},
    {NULL}
};

static PyGetSetDef hot_header_getset[] = {
    {"_address", hot_header_address, NULL, "address of the header a hot poll handles now, 0 when none", NULL},
    {NULL}
};

static PyType_Slot hot_header_slots[] = {
    {Py_tp_doc, "Base of Header: where the fragment's aeron_header_t is while a handler runs."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, hot_header_dealloc},
    {Py_tp_members, hot_header_members},
    {Py_tp_getset, hot_header_getset},
    {0, NULL}
};

static PyType_Spec hot_header_spec = {
    "aeron_cffi._hot.HeaderBase", sizeof(hot_header_t), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, hot_header_slots
};

/* --- FragmentView: a fragment's bytes in the term buffer, for the handler call only -- */

typedef struct
{
    PyObject_HEAD
    const uint8_t *data; /* NULL once the handler returned */
    Py_ssize_t length;
    uint8_t *copy;       /* what the buffer protocol exports: this fragment, copied (see below) */
    Py_ssize_t copy_capacity;
    Py_ssize_t exports;  /* buffers exported and not yet released */
}
hot_view_t;

static PyTypeObject *hot_view_type;

static int hot_view_valid(hot_view_t *view)
{
    if (NULL == view->data)
    {
        hot_raise_closed("FragmentView is only valid during the fragment handler call: keep bytes(view) instead");
        return 0;
    }
    return 1;
}

static Py_ssize_t hot_view_length(PyObject *self)
{
    hot_view_t *view = (hot_view_t *)self;
    return hot_view_valid(view) ? view->length : -1;
}

static PyObject *hot_view_item(PyObject *self, Py_ssize_t index)
{
    hot_view_t *view = (hot_view_t *)self;
    if (!hot_view_valid(view))
    {
        return NULL;
    }
    if (index < 0 || index >= view->length)
    {
        PyErr_SetString(PyExc_IndexError, "FragmentView index out of range");
        return NULL;
    }
    return PyLong_FromLong(view->data[index]);
}

static PyObject *hot_view_subscript(PyObject *self, PyObject *key)
{
    hot_view_t *view = (hot_view_t *)self;
    if (!hot_view_valid(view))
    {
        return NULL;
    }
    if (PySlice_Check(key))
    {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
        {
            return NULL;
        }
        Py_ssize_t count = PySlice_AdjustIndices(view->length, &start, &stop, step);
        if (1 == step)
        {
            return PyBytes_FromStringAndSize((const char *)view->data + start, count);
        }
        PyObject *result = PyBytes_FromStringAndSize(NULL, count);
        if (NULL != result)
        {
            char *out = PyBytes_AsString(result);
            for (Py_ssize_t i = 0; i < count; i++)
            {
                out[i] = (char)view->data[start + i * step];
            }
        }
        return result;
    }
    Py_ssize_t index = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (-1 == index && PyErr_Occurred())
    {
        return NULL;
    }
    return hot_view_item(self, index < 0 ? index + view->length : index);
}

static PyObject *hot_view_tobytes(PyObject *self, PyObject *unused)
{
    hot_view_t *view = (hot_view_t *)self;
    return hot_view_valid(view) ? PyBytes_FromStringAndSize((const char *)view->data, view->length) : NULL;
}

/* unpack_from(format, offset=0): struct.Struct(format).unpack_from over the fragment in
 * place, through a memoryview that is released before this returns (struct keeps none). */
static PyObject *hot_view_unpack_from(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    hot_view_t *view = (hot_view_t *)self;
    if (nargs < 1 || nargs > 2)
    {
        PyErr_SetString(PyExc_TypeError, "unpack_from(format, offset=0)");
        return NULL;
    }
    if (!hot_view_valid(view))
    {
        return NULL;
    }
    PyObject *memory = PyMemoryView_FromMemory((char *)view->data, view->length, PyBUF_READ);
    if (NULL == memory)
    {
        return NULL;
    }
    PyObject *offset = nargs > 1 ? args[1] : NULL; /* NULL ends the argument list: offset 0 */
    PyObject *structure = args[0];
    Py_INCREF(structure);
    if (PyUnicode_Check(structure) || PyBytes_Check(structure))
    {
        PyObject *module = PyImport_ImportModule("struct");
        PyObject *compiled = NULL == module ? NULL : PyObject_CallMethod(module, "Struct", "O", structure);
        Py_XDECREF(module);
        Py_DECREF(structure);
        structure = compiled;
    }
    PyObject *name = PyUnicode_FromString("unpack_from");
    PyObject *result = NULL == structure || NULL == name ? NULL :
        PyObject_CallMethodObjArgs(structure, name, memory, offset, NULL);
    Py_XDECREF(name);
    Py_XDECREF(structure);
    PyObject *released = PyObject_CallMethod(memory, "release", NULL);
    Py_DECREF(memory);
    if (NULL == released)
    {
        Py_XDECREF(result);
        return NULL;
    }
    Py_DECREF(released);
    return result;
}

static PyObject *hot_view_repr(PyObject *self)
{
    hot_view_t *view = (hot_view_t *)self;
    return NULL == view->data ?
        PyUnicode_FromString("<FragmentView released>") :
        PyUnicode_FromFormat("<FragmentView %zd bytes>", view->length);
}

/*
 * The buffer protocol (memoryview(view), struct.unpack_from(format, view), numpy), from
 * Python 3.11, whose stable ABI has Py_buffer; the 3.10 limited headers this is compiled
 * with hide it, so the layout the 3.11 stable ABI fixes is declared here, and the slots
 * are given only on 3.11 and later. A buffer exported to other code cannot be taken back
 * when the handler returns, so what it exports is a copy of the fragment, in memory the
 * view owns and reuses (no allocation once it is large enough): a memoryview kept past
 * the handler keeps its view, and its copy, alive, and the next fragment gets a new view.
 */
typedef struct
{
    void *buf;
    PyObject *obj;
    Py_ssize_t len;
    Py_ssize_t itemsize;
    int readonly;
    int ndim;
    char *format;
    Py_ssize_t *shape;
    Py_ssize_t *strides;
    Py_ssize_t *suboffsets;
    void *internal;
}
hot_buffer_t;

enum
{
    HOT_BUF_WRITABLE = 0x0001, /* PyBUF_WRITABLE */
    HOT_BUF_FORMAT = 0x0004,   /* PyBUF_FORMAT */
    HOT_BUF_ND = 0x0008,       /* PyBUF_ND */
    HOT_BUF_STRIDES = 0x0018,  /* PyBUF_STRIDES */
    HOT_BF_GETBUFFER = 1,      /* Py_bf_getbuffer */
    HOT_BF_RELEASEBUFFER = 2   /* Py_bf_releasebuffer */
};

static Py_ssize_t hot_one = 1; /* every item is a byte */

static int hot_view_getbuffer(PyObject *self, hot_buffer_t *buffer, int flags)
{
    hot_view_t *view = (hot_view_t *)self;
    buffer->obj = NULL;
    if (!hot_view_valid(view))
    {
        return -1;
    }
    if (flags & HOT_BUF_WRITABLE)
    {
        PyErr_SetString(PyExc_BufferError, "FragmentView is read-only");
        return -1;
    }
    if (0 == view->exports) /* else the copy already holds this fragment (exports end with the handler's) */
    {
        if (view->copy_capacity < view->length)
        {
            uint8_t *larger = PyMem_Realloc(view->copy, (size_t)view->length);
            if (NULL == larger)
            {
                PyErr_NoMemory();
                return -1;
            }
            view->copy = larger;
            view->copy_capacity = view->length;
        }
        if (view->length > 0)
        {
            memcpy(view->copy, view->data, (size_t)view->length);
        }
    }
    view->exports++;
    Py_INCREF(self);
    buffer->buf = view->copy;
    buffer->obj = self;
    buffer->len = view->length;
    buffer->itemsize = 1;
    buffer->readonly = 1;
    buffer->ndim = 1;
    buffer->format = (flags & HOT_BUF_FORMAT) ? "B" : NULL;
    buffer->shape = (flags & HOT_BUF_ND) ? &buffer->len : NULL;
    buffer->strides = (flags & HOT_BUF_STRIDES) == HOT_BUF_STRIDES ? &hot_one : NULL;
    buffer->suboffsets = NULL;
    buffer->internal = NULL;
    return 0;
}

static void hot_view_releasebuffer(PyObject *self, hot_buffer_t *buffer)
{
    ((hot_view_t *)self)->exports--;
}

static void hot_view_dealloc(PyObject *self)
{
    PyMem_Free(((hot_view_t *)self)->copy);
    hot_dealloc(self);
}

static hot_view_t *hot_view_new(void)
{
    hot_view_t *view = PyObject_New(hot_view_t, hot_view_type);
    if (NULL != view)
    {
        view->data = NULL;
        view->length = 0;
        view->copy = NULL;
        view->copy_capacity = 0;
        view->exports = 0;
    }
    return view;
}

static PyMethodDef hot_view_methods[] = {
    {"tobytes", hot_view_tobytes, METH_NOARGS, "A copy of the fragment's bytes."},
    {"__bytes__", hot_view_tobytes, METH_NOARGS, "A copy of the fragment's bytes."},
    {"unpack_from", (PyCFunction)(void (*)(void))hot_view_unpack_from, METH_FASTCALL,
     "unpack_from(format, offset=0): struct's unpack_from on the fragment in place (format: str or struct.Struct)."},
    {NULL}
};

static PyType_Slot hot_view_slots[] = {
    {Py_tp_doc,
     "A fragment's bytes where they lie in the term buffer, valid during the handler call only "
     "(Subscription.poll(handler, view=True)); afterwards every use raises ResourceClosedError."},
    {Py_tp_dealloc, hot_view_dealloc},
    {Py_tp_repr, hot_view_repr},
    {Py_tp_methods, hot_view_methods},
    {Py_sq_length, hot_view_length},
    {Py_sq_item, hot_view_item},
    {Py_mp_length, hot_view_length},
    {Py_mp_subscript, hot_view_subscript},
    {0, NULL}, /* the buffer slots, from 3.11 (hot_create_module) */
    {0, NULL},
    {0, NULL}
};

static PyType_Spec hot_view_spec = {
    "aeron_cffi._hot.FragmentView", sizeof(hot_view_t), 0, Py_TPFLAGS_DEFAULT, hot_view_slots
};

/* --- the owner: the Python object a hot path serves and falls back to --------------- */

typedef struct
{
    PyObject_HEAD
    void *target;       /* the aeron_*_t the owner wraps */
    int closed;         /* set by close() before the owner's C close */
    PyObject *owner;    /* the owner: its bound methods keep it alive, as a Python method's do
                         * (a cycle through the owner's __dict__, so both types are collectable) */
    PyObject *fallback; /* the owner class's Python method for everything but the common case */
}
hot_gate_t;

static int hot_gate_init(hot_gate_t *gate, PyObject *address, PyObject *owner, PyObject *fallback)
{
    gate->target = PyLong_AsVoidPtr(address);
    if (NULL == gate->target)
    {
        if (!PyErr_Occurred())
        {
            PyErr_SetString(PyExc_ValueError, "a hot path needs a non-NULL address");
        }
        return -1;
    }
    Py_INCREF(owner);
    gate->owner = owner;
    Py_INCREF(fallback);
    gate->fallback = fallback;
    return 0;
}

static int hot_gate_traverse(hot_gate_t *gate, visitproc visit, void *arg)
{
    Py_VISIT(gate->owner);
    Py_VISIT(gate->fallback);
    return 0;
}

static void hot_gate_clear(hot_gate_t *gate)
{
    Py_CLEAR(gate->owner);
    Py_CLEAR(gate->fallback);
}

/* dealloc of the collectable types: clear(self), then free */
static void hot_gc_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    inquiry clear = (inquiry)PyType_GetSlot(Py_TYPE(self), Py_tp_clear);
    clear(self);
    hot_dealloc(self);
}

/* fallback(owner, [first,] *args, **kwargs), with the vectorcall arguments this method got */
static PyObject *hot_fallback(
    hot_gate_t *gate, PyObject *first, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *owner = gate->owner;
    if (NULL == owner) /* only once the collector cleared an unreachable owner */
    {
        hot_raise_closed("the object this method belonged to was collected");
        return NULL;
    }
    if (gate->closed) /* closed raises whatever the arguments, as the Python methods do */
    {
        PyObject *open = PyObject_CallMethodObjArgs(owner, hot_str_check_open, NULL);
        if (NULL == open)
        {
            return NULL;
        }
        Py_DECREF(open);
    }
    Py_ssize_t nkw = NULL == kwnames ? 0 : PyTuple_Size(kwnames);
    Py_ssize_t leading = NULL == first ? 1 : 2;
    PyObject *positional = PyTuple_New(nargs + leading);
    PyObject *keywords = nkw ? PyDict_New() : NULL;
    PyObject *result = NULL;
    if (NULL == positional || (nkw && NULL == keywords))
    {
        goto done;
    }
    Py_INCREF(owner);
    PyTuple_SetItem(positional, 0, owner);
    if (NULL != first)
    {
        Py_INCREF(first);
        PyTuple_SetItem(positional, 1, first);
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
    {
        Py_INCREF(args[i]);
        PyTuple_SetItem(positional, i + leading, args[i]);
    }
    for (Py_ssize_t i = 0; i < nkw; i++)
    {
        if (PyDict_SetItem(keywords, PyTuple_GetItem(kwnames, i), args[nargs + i]) < 0)
        {
            goto done;
        }
    }
    result = PyObject_Call(gate->fallback, positional, keywords);
done:
    Py_XDECREF(positional);
    Py_XDECREF(keywords);
    return result;
}

static PyObject *hot_gate_close(PyObject *self, PyObject *unused)
{
    ((hot_gate_t *)self)->closed = 1;
    Py_RETURN_NONE;
}

/* --- Offerer: Publication.offer / ExclusivePublication.offer ---------------------- */

typedef struct
{
    hot_gate_t gate;
    int exclusive;
    Py_ssize_t max_message_length;
    PyObject *retryable[3]; /* OfferResult members of -1, -2, -3 */
    PyObject *outcome;      /* owner class's _outcome(result, method): raises for a terminal result */
}
hot_offerer_t;

static int hot_offerer_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    hot_offerer_t *offerer = (hot_offerer_t *)self;
    PyObject *address, *owner, *fallback, *retryable, *outcome;
    int exclusive;
    if (!PyArg_ParseTuple(
        args, "OpnOOOO:Offerer", &address, &exclusive, &offerer->max_message_length, &owner, &fallback, &outcome,
        &retryable))
    {
        return -1;
    }
    if (!PyTuple_Check(retryable) || 3 != PyTuple_Size(retryable))
    {
        PyErr_SetString(PyExc_TypeError, "retryable: the OfferResult members of -1, -2 and -3");
        return -1;
    }
    if (hot_gate_init(&offerer->gate, address, owner, fallback) < 0)
    {
        return -1;
    }
    offerer->exclusive = exclusive;
    for (int i = 0; i < 3; i++)
    {
        offerer->retryable[i] = PyTuple_GetItem(retryable, i);
        Py_INCREF(offerer->retryable[i]);
    }
    Py_INCREF(outcome);
    offerer->outcome = outcome;
    return 0;
}

static int hot_offerer_traverse(PyObject *self, visitproc visit, void *arg)
{
    hot_offerer_t *offerer = (hot_offerer_t *)self;
    Py_VISIT(offerer->outcome);
    return hot_gate_traverse(&offerer->gate, visit, arg);
}

static int hot_offerer_clear(PyObject *self)
{
    hot_offerer_t *offerer = (hot_offerer_t *)self;
    hot_gate_clear(&offerer->gate);
    for (int i = 0; i < 3; i++)
    {
        Py_CLEAR(offerer->retryable[i]);
    }
    Py_CLEAR(offerer->outcome);
    return 0;
}

static PyObject *hot_offer(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    hot_offerer_t *offerer = (hot_offerer_t *)self;
    const char *data;
    Py_ssize_t length;
    if (offerer->gate.closed || 1 != nargs || NULL != kwnames)
    {
        return hot_fallback(&offerer->gate, NULL, args, nargs, kwnames);
    }
    PyObject *message = args[0];
    if (PyBytes_CheckExact(message))
    {
        if (PyBytes_AsStringAndSize(message, (char **)&data, &length) < 0)
        {
            return NULL;
        }
    }
    else if (PyByteArray_CheckExact(message))
    {
        data = PyByteArray_AsString(message);
        length = PyByteArray_Size(message);
    }
    else if (Py_TYPE(message) == hot_view_type && NULL != ((hot_view_t *)message)->data)
    {
        /* a fragment being handled, offered from where it lies (an echo copies once, in C) */
        data = (const char *)((hot_view_t *)message)->data;
        length = ((hot_view_t *)message)->length;
    }
    else
    {
        return hot_fallback(&offerer->gate, NULL, args, nargs, kwnames);
    }
    if (length > offerer->max_message_length)
    {
        return hot_fallback(&offerer->gate, NULL, args, nargs, kwnames);
    }
    int64_t result = offerer->exclusive ?
        aeron_exclusive_publication_offer(offerer->gate.target, (const uint8_t *)data, (size_t)length, NULL, NULL) :
        aeron_publication_offer(offerer->gate.target, (const uint8_t *)data, (size_t)length, NULL, NULL);
    if (result > 0)
    {
        return PyLong_FromLongLong(result);
    }
    if (result >= AERON_PUBLICATION_ADMIN_ACTION && result <= AERON_PUBLICATION_NOT_CONNECTED)
    {
        PyObject *member = offerer->retryable[-result - 1];
        Py_INCREF(member);
        return member;
    }
    if (NULL == offerer->gate.owner)
    {
        return hot_fallback(&offerer->gate, NULL, args, nargs, kwnames); /* (raises) */
    }
    return PyObject_CallFunction(offerer->outcome, "OLs", offerer->gate.owner, (long long)result, "offer");
}

static PyMethodDef hot_offerer_methods[] = {
    {"offer", (PyCFunction)(void (*)(void))hot_offer, METH_FASTCALL | METH_KEYWORDS,
     "offer(data, reserved_value_supplier=None): as the owner's Python offer."},
    {"close", hot_gate_close, METH_NOARGS, "Refuse every later call (the owner's C close is about to run)."},
    {NULL}
};

static PyType_Slot hot_offerer_slots[] = {
    {Py_tp_doc, "Offerer(address, exclusive, max_message_length, owner, fallback, outcome, retryable)"},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, hot_offerer_init},
    {Py_tp_dealloc, hot_gc_dealloc},
    {Py_tp_traverse, hot_offerer_traverse},
    {Py_tp_clear, hot_offerer_clear},
    {Py_tp_methods, hot_offerer_methods},
    {0, NULL}
};

static PyType_Spec hot_offerer_spec = {
    "aeron_cffi._hot.Offerer", sizeof(hot_offerer_t), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, hot_offerer_slots
};

/* --- Poller: Subscription/Image poll and controlled_poll with a Python handler ------ */

enum { HOT_SUBSCRIPTION = 0, HOT_IMAGE = 1 };

typedef struct
{
    hot_gate_t gate;
    int kind;
    PyObject *calls;          /* the owner's _calls (its in-flight count) */
    PyObject *header_type;    /* aeron_cffi.header.Header */
    PyObject *header;         /* reused by every poll that is not nested in another */
    PyObject *assembler_type; /* fragment assemblers go to the fallback */
    PyObject *check;          /* aeron_cffi.errors.check(result, what) */
    PyObject *what[2];        /* "Subscription.poll", "Subscription.controlled_poll" */
    hot_view_t *view;         /* reused while nobody keeps it */
    int header_busy;
}
hot_poller_t;


static int hot_poller_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    hot_poller_t *poller = (hot_poller_t *)self;
    PyObject *address, *owner, *fallback, *calls, *header_type, *assembler_type, *check, *poll_what, *controlled_what;
    if (!PyArg_ParseTuple(
        args, "OiOOO!OOOUU:Poller", &address, &poller->kind, &owner, &fallback, &PyList_Type, &calls, &header_type,
        &assembler_type, &check, &poll_what, &controlled_what))
    {
        return -1;
    }
    if (hot_gate_init(&poller->gate, address, owner, fallback) < 0)
    {
        return -1;
    }
    poller->header = PyObject_CallObject(header_type, NULL);
    if (NULL == poller->header)
    {
        return -1;
    }
    PyObject *objects[] = {calls, header_type, assembler_type, check, poll_what, controlled_what};
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
    {
        Py_INCREF(objects[i]);
    }
    poller->calls = calls;
    poller->header_type = header_type;
    poller->assembler_type = assembler_type;
    poller->check = check;
    poller->what[0] = poll_what;
    poller->what[1] = controlled_what;
    return 0;
}

static int hot_poller_traverse(PyObject *self, visitproc visit, void *arg)
{
    hot_poller_t *poller = (hot_poller_t *)self;
    Py_VISIT(poller->calls);
    Py_VISIT(poller->header);
    return hot_gate_traverse(&poller->gate, visit, arg);
}

static int hot_poller_clear(PyObject *self)
{
    hot_poller_t *poller = (hot_poller_t *)self;
    hot_gate_clear(&poller->gate);
    Py_CLEAR(poller->calls);
    Py_CLEAR(poller->header_type);
    Py_CLEAR(poller->header);
    Py_CLEAR(poller->assembler_type);
    Py_CLEAR(poller->check);
    Py_CLEAR(poller->what[0]);
    Py_CLEAR(poller->what[1]);
    Py_CLEAR(poller->view);
    return 0;
}

/* What a handler is called with and what it raised: a poll call's, on the C stack (nested
 * polls, a handler polling again, each have their own), or a Delivery's (an assembler's). */
typedef struct
{
    hot_poller_t *poller;
    PyObject *handler;
    hot_header_t *header;
    int view;
    PyObject *error_type, *error_value, *error_traceback; /* the first exception a handler raised */
}
hot_poll_t;

static void hot_poll_fail(hot_poll_t *poll)
{
    if (NULL == poll->error_type)
    {
        PyErr_Fetch(&poll->error_type, &poll->error_value, &poll->error_traceback);
    }
    else
    {
        PyErr_Clear(); /* the first exception is the one raised; as the cffi trampolines do */
    }
}

/* The fragment as the handler gets it: bytes, or the poller's FragmentView (a new one
 * when somebody kept the last). */
static PyObject *hot_fragment_data(hot_poll_t *poll, const uint8_t *buffer, size_t length)
{
    if (!poll->view)
    {
        return PyBytes_FromStringAndSize((const char *)buffer, (Py_ssize_t)length);
    }
    hot_poller_t *poller = poll->poller;
    hot_view_t *view = poller->view;
    if (NULL == view || NULL != view->data) /* none yet, or a nested poll's in use */
    {
        view = hot_view_new();
        if (NULL == view)
        {
            return NULL;
        }
        if (NULL == poller->view)
        {
            poller->view = view;
            Py_INCREF(view);
        }
    }
    else
    {
        Py_INCREF(view);
    }
    view->data = buffer;
    view->length = (Py_ssize_t)length;
    return (PyObject *)view;
}

static void hot_fragment_done(hot_poll_t *poll, PyObject *data)
{
    if (poll->view)
    {
        hot_view_t *view = (hot_view_t *)data;
        view->data = NULL;
        hot_poller_t *poller = poll->poller;
        /* kept by the handler (more references than ours and the poller's), or a buffer
         * exported from it is alive: it stays released, with its copy, and the next
         * fragment gets a view of its own */
        if (view == poller->view && (Py_REFCNT(data) > 2 || view->exports > 0))
        {
            Py_CLEAR(poller->view);
        }
    }
    Py_DECREF(data);
}

static PyObject *hot_call_handler(hot_poll_t *poll, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    PyObject *data = hot_fragment_data(poll, buffer, length);
    if (NULL == data)
    {
        return NULL;
    }
    poll->header->header = header;
    PyObject *result = hot_call2(poll->handler, data, (PyObject *)poll->header);
    poll->header->header = NULL;
    hot_fragment_done(poll, data);
    return result;
}

static void hot_fragment_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    hot_poll_t *poll = clientd;
    PyObject *result = hot_call_handler(poll, buffer, length, header);
    if (NULL == result)
    {
        hot_poll_fail(poll); /* and the rest of the poll's fragments are delivered */
        return;
    }
    Py_DECREF(result);
}

static aeron_controlled_fragment_handler_action_t hot_controlled_fragment_handler(
    void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    hot_poll_t *poll = clientd;
    if (NULL != poll->error_type)
    {
        return AERON_ACTION_ABORT;
    }
    PyObject *result = hot_call_handler(poll, buffer, length, header);
    if (NULL == result)
    {
        hot_poll_fail(poll); /* ABORT: this fragment is delivered again by the next poll */
        return AERON_ACTION_ABORT;
    }
    long action = AERON_ACTION_CONTINUE;
    if (Py_None != result)
    {
        action = PyLong_Check(result) ? PyLong_AsLong(result) : -1;
        if (action < AERON_ACTION_ABORT || action > AERON_ACTION_CONTINUE)
        {
            PyErr_Clear();
            PyErr_Format(
                PyExc_ValueError, "a controlled fragment handler returned %R, not a ControlledPollAction", result);
            hot_poll_fail(poll);
            action = AERON_ACTION_ABORT;
        }
    }
    Py_DECREF(result);
    return (aeron_controlled_fragment_handler_action_t)action;
}

/* Leave an in-flight list (an owner's _calls); finish a close() of `owner` that waited for this call. */
static int hot_leave(PyObject *calls, int closed, PyObject *owner)
{
    Py_ssize_t size = PyList_Size(calls);
    if (size > 0 && PyList_SetSlice(calls, size - 1, size, NULL) < 0)
    {
        return -1;
    }
    if (closed && size <= 1 && NULL != owner)
    {
        PyObject *done = PyObject_CallMethodObjArgs(owner, hot_str_finish, Py_True, NULL);
        if (NULL == done)
        {
            return -1;
        }
        Py_DECREF(done);
    }
    return 0;
}

static int hot_poll_leave(hot_poller_t *poller)
{
    return hot_leave(poller->calls, poller->gate.closed, poller->gate.owner);
}

/* --- Delivery: a fragment assembler's delegate, calling its Python handler from C ---- */

typedef struct
{
    PyObject_HEAD
    hot_poll_t state;   /* the handler, its Header, the first exception (bytes: the assembler's buffer is its own) */
    int controlled;
    int closed;         /* the assembler's gate */
    void *assembler;    /* the aeron_*fragment_assembler_t, once bound */
    aeron_fragment_handler_t on_fragment; /* the aeron_*fragment_assembler_handler that feeds it */
    PyObject *calls;    /* the assembler's _calls */
}
hot_delivery_t;

static PyTypeObject *hot_delivery_type;

static int hot_delivery_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    hot_delivery_t *delivery = (hot_delivery_t *)self;
    PyObject *handler, *header;
    if (!PyArg_ParseTuple(args, "OOp:Delivery", &handler, &header, &delivery->controlled))
    {
        return -1;
    }
    Py_INCREF(handler);
    Py_INCREF(header);
    delivery->state.handler = handler;
    delivery->state.header = (hot_header_t *)header;
    return 0;
}

static int hot_delivery_traverse(PyObject *self, visitproc visit, void *arg)
{
    hot_delivery_t *delivery = (hot_delivery_t *)self;
    Py_VISIT(delivery->state.handler);
    Py_VISIT((PyObject *)delivery->state.header);
    Py_VISIT(delivery->calls);
    return 0;
}

static int hot_delivery_clear(PyObject *self)
{
    hot_delivery_t *delivery = (hot_delivery_t *)self;
    Py_CLEAR(delivery->state.handler);
    Py_CLEAR(delivery->state.header);
    Py_CLEAR(delivery->calls);
    Py_CLEAR(delivery->state.error_type);
    Py_CLEAR(delivery->state.error_value);
    Py_CLEAR(delivery->state.error_traceback);
    return 0;
}

/* bind(assembler_address, assembler_handler_address, calls): the C assembler made with this delegate */
static PyObject *hot_delivery_bind(PyObject *self, PyObject *args)
{
    hot_delivery_t *delivery = (hot_delivery_t *)self;
    PyObject *assembler, *on_fragment, *calls;
    if (!PyArg_ParseTuple(args, "OOO!:bind", &assembler, &on_fragment, &PyList_Type, &calls))
    {
        return NULL;
    }
    delivery->assembler = PyLong_AsVoidPtr(assembler);
    delivery->on_fragment = (aeron_fragment_handler_t)PyLong_AsVoidPtr(on_fragment);
    if (PyErr_Occurred())
    {
        return NULL;
    }
    Py_INCREF(calls);
    Py_XDECREF(delivery->calls);
    delivery->calls = calls;
    Py_RETURN_NONE;
}

static PyObject *hot_delivery_address(PyObject *self, void *closure)
{
    return PyLong_FromVoidPtr(&((hot_delivery_t *)self)->state);
}

/* Raise what the handler raised during the poll that just returned (a cffi poll). */
static PyObject *hot_delivery_raise_pending(PyObject *self, PyObject *unused)
{
    hot_poll_t *state = &((hot_delivery_t *)self)->state;
    if (NULL != state->error_type)
    {
        PyErr_Restore(state->error_type, state->error_value, state->error_traceback);
        state->error_type = state->error_value = state->error_traceback = NULL;
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *hot_delivery_close(PyObject *self, PyObject *unused)
{
    ((hot_delivery_t *)self)->closed = 1;
    Py_RETURN_NONE;
}

static PyMethodDef hot_delivery_methods[] = {
    {"bind", hot_delivery_bind, METH_VARARGS, "bind(assembler_address, assembler_handler_address, calls)"},
    {"raise_pending", hot_delivery_raise_pending, METH_NOARGS, "Raise the first exception of the last poll's handler calls."},
    {"close", hot_delivery_close, METH_NOARGS, "Refuse every later hot poll through the assembler (it is closed)."},
    {NULL}
};

static PyGetSetDef hot_delivery_getset[] = {
    {"address", hot_delivery_address, NULL, "the clientd to create the C assembler with", NULL},
    {NULL}
};

static PyType_Slot hot_delivery_slots[] = {
    {Py_tp_doc, "Delivery(handler, header, controlled): the delegate of a fragment assembler."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, hot_delivery_init},
    {Py_tp_dealloc, hot_gc_dealloc},
    {Py_tp_traverse, hot_delivery_traverse},
    {Py_tp_clear, hot_delivery_clear},
    {Py_tp_methods, hot_delivery_methods},
    {Py_tp_getset, hot_delivery_getset},
    {0, NULL}
};

static PyType_Spec hot_delivery_spec = {
    "aeron_cffi._hot.Delivery", sizeof(hot_delivery_t), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, hot_delivery_slots
};

/* The assemblers' delegates (declared to cffi). The GIL is held already when a hot poll
 * feeds the assembler, and not when a cffi call does (ReplayMerge.poll, bounded polls). */
void aeron_cffi_hot_assembled(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    hot_fragment_handler(clientd, buffer, length, header);
    PyGILState_Release(gil);
}

aeron_controlled_fragment_handler_action_t aeron_cffi_hot_assembled_controlled(
    void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    aeron_controlled_fragment_handler_action_t action = hot_controlled_fragment_handler(clientd, buffer, length, header);
    PyGILState_Release(gil);
    return action;
}

/* The arguments of poll(handler, fragment_limit=10, *, view=False): 1, or 0 for what the
 * Python fallback takes (other types, other keywords). */
static int hot_poll_arguments(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, long *fragment_limit,
                              int *view)
{
    Py_ssize_t nkw = NULL == kwnames ? 0 : PyTuple_Size(kwnames);
    if (nargs > 1)
    {
        if (!PyLong_Check(args[1]))
        {
            return 0;
        }
        *fragment_limit = PyLong_AsLong(args[1]);
    }
    for (Py_ssize_t i = 0; i < nkw; i++)
    {
        PyObject *name = PyTuple_GetItem(kwnames, i);
        PyObject *value = args[nargs + i];
        if (name == hot_str_view || 0 == PyUnicode_Compare(name, hot_str_view)) /* (names are interned) */
        {
            if ((*view = PyObject_IsTrue(value)) < 0)
            {
                PyErr_Clear();
                return 0;
            }
        }
        else if ((name == hot_str_fragment_limit || 0 == PyUnicode_Compare(name, hot_str_fragment_limit)) &&
                 nargs < 2 && PyLong_Check(value))
        {
            *fragment_limit = PyLong_AsLong(value);
        }
        else
        {
            return 0;
        }
    }
    if (*fragment_limit < 0) /* (or too large for a long: size_t's range is the fallback's to check) */
    {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* The assembler's Delivery when `handler` is a fragment assembler this poll can feed in C
 * (a new reference); NULL with no error for anything else, NULL with an error on failure. */
static hot_delivery_t *hot_assembler_delivery(hot_poller_t *poller, PyObject *handler, int controlled)
{
    int assembler = PyObject_IsInstance(handler, poller->assembler_type);
    if (assembler <= 0)
    {
        return NULL;
    }
    PyObject *found = PyObject_GetAttr(handler, hot_str_delivery);
    if (NULL == found) /* (an assembler whose constructor failed: the fallback says so) */
    {
        PyErr_Clear();
    }
    else if (Py_TYPE(found) != hot_delivery_type || ((hot_delivery_t *)found)->controlled != controlled ||
             NULL == ((hot_delivery_t *)found)->assembler)
    {
        Py_CLEAR(found); /* (the fallback says what does not fit) */
    }
    return (hot_delivery_t *)found;
}

static PyObject *hot_poll_with(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                               int controlled)
{
    hot_poller_t *poller = (hot_poller_t *)self;
    long fragment_limit = 10;
    int view = 0;
    hot_delivery_t *delivery = NULL;
    if (nargs < 1 || nargs > 2 || !hot_poll_arguments(args, nargs, kwnames, &fragment_limit, &view))
    {
        goto fallback;
    }
    if (!PyCallable_Check(args[0]))
    {
        delivery = hot_assembler_delivery(poller, args[0], controlled);
        if (NULL == delivery || view)
        {
            if (PyErr_Occurred())
            {
                return NULL;
            }
            goto fallback;
        }
    }
    /* in flight before the open checks (as _lifetime's _in_flight and using()): a close()
     * from the handler or another thread marks the owner, or the assembler, closed and
     * leaves its C close to us */
    if (PyList_Append(poller->calls, Py_None) < 0)
    {
        Py_XDECREF(delivery);
        return NULL;
    }
    if (NULL != delivery && PyList_Append(delivery->calls, Py_None) < 0)
    {
        hot_poll_leave(poller);
        Py_DECREF(delivery);
        return NULL;
    }
    hot_poll_t poll = {poller, args[0], NULL, view, NULL, NULL, NULL};
    hot_poll_t *state = &poll;
    void *clientd = &poll;
    aeron_fragment_handler_t on_fragment = hot_fragment_handler;
    aeron_controlled_fragment_handler_t on_controlled = hot_controlled_fragment_handler;
    int own_header = 0;
    int result = 0;
    int refused = poller->gate.closed || (NULL != delivery && delivery->closed);
    if (refused)
    {
        goto leave; /* and on to the fallback, which raises */
    }
    if (NULL != delivery)
    {
        state = &delivery->state;
        clientd = delivery->assembler;
        on_fragment = delivery->on_fragment;
        on_controlled = (aeron_controlled_fragment_handler_t)delivery->on_fragment; /* (its controlled twin) */
    }
    else if ((own_header = poller->header_busy)) /* a handler polling again: a Header of its own */
    {
        poll.header = (hot_header_t *)PyObject_CallObject(poller->header_type, NULL);
        if (NULL == poll.header)
        {
            hot_poll_leave(poller);
            return NULL;
        }
    }
    else
    {
        poll.header = (hot_header_t *)poller->header;
        poller->header_busy = 1;
    }
    if (HOT_SUBSCRIPTION == poller->kind)
    {
        result = controlled ?
            aeron_subscription_controlled_poll(poller->gate.target, on_controlled, clientd, (size_t)fragment_limit) :
            aeron_subscription_poll(poller->gate.target, on_fragment, clientd, (size_t)fragment_limit);
    }
    else
    {
        result = controlled ?
            aeron_image_controlled_poll(poller->gate.target, on_controlled, clientd, (size_t)fragment_limit) :
            aeron_image_poll(poller->gate.target, on_fragment, clientd, (size_t)fragment_limit);
    }
    if (own_header)
    {
        Py_DECREF(poll.header);
    }
    else if (NULL == delivery)
    {
        poller->header_busy = 0;
    }

leave:;
    PyObject *error_type = state->error_type, *error_value = state->error_value, *error_traceback = state->error_traceback;
    state->error_type = state->error_value = state->error_traceback = NULL;
    int left = hot_poll_leave(poller);
    if (NULL != delivery)
    {
        left |= hot_leave(delivery->calls, delivery->closed, args[0]);
        Py_DECREF(delivery);
        delivery = NULL;
    }
    if (NULL != error_type)
    {
        PyErr_Clear(); /* (the handler's exception comes first) */
        PyErr_Restore(error_type, error_value, error_traceback);
        return NULL;
    }
    if (left < 0)
    {
        return NULL;
    }
    if (refused)
    {
        goto fallback; /* closed before the poll: the fallback raises ResourceClosedError */
    }
    if (result < 0)
    {
        return PyObject_CallFunction(poller->check, "iO", result, poller->what[controlled]);
    }
    return PyLong_FromLong(result);

fallback:
    Py_XDECREF(delivery);
    return hot_fallback(&poller->gate, controlled ? Py_True : Py_False, args, nargs, kwnames);
}

static PyObject *hot_poll(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return hot_poll_with(self, args, nargs, kwnames, 0);
}

static PyObject *hot_controlled_poll(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return hot_poll_with(self, args, nargs, kwnames, 1);
}

static PyMethodDef hot_poller_methods[] = {
    {"poll", (PyCFunction)(void (*)(void))hot_poll, METH_FASTCALL | METH_KEYWORDS,
     "poll(handler, fragment_limit=10, *, view=False): as the owner's Python poll."},
    {"controlled_poll", (PyCFunction)(void (*)(void))hot_controlled_poll, METH_FASTCALL | METH_KEYWORDS,
     "controlled_poll(handler, fragment_limit=10, *, view=False): as the owner's Python controlled_poll."},
    {"close", hot_gate_close, METH_NOARGS, "Refuse every later call (the owner is closed)."},
    {NULL}
};

static PyType_Slot hot_poller_slots[] = {
    {Py_tp_doc, "Poller(address, kind, owner, fallback, calls, header_type, assembler_type, check, what, what_controlled)"},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, hot_poller_init},
    {Py_tp_dealloc, hot_gc_dealloc},
    {Py_tp_traverse, hot_poller_traverse},
    {Py_tp_clear, hot_poller_clear},
    {Py_tp_methods, hot_poller_methods},
    {0, NULL}
};

static PyType_Spec hot_poller_spec = {
    "aeron_cffi._hot.Poller", sizeof(hot_poller_t), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, hot_poller_slots
};

/* --- the module ---------------------------------------------------------------------- */

static struct PyModuleDef hot_module_def = {
    PyModuleDef_HEAD_INIT, "aeron_cffi._hot", "Per-message paths holding the GIL (ffibuild/hot_paths.c).", -1
};

static int hot_add_type(PyObject *module, PyType_Spec *spec, const char *name, PyTypeObject **out)
{
    PyObject *type = PyType_FromSpec(spec);
    if (NULL == type)
    {
        return -1;
    }
    if (NULL != out)
    {
        Py_INCREF(type);
        *out = (PyTypeObject *)type;
    }
    return PyModule_AddObject(module, name, type); /* steals the reference on success */
}

/* Give FragmentView the buffer protocol where the stable ABI has it (3.11 and later). */
static int hot_view_buffer_slots(void)
{
    PyObject *version = PySys_GetObject("hexversion"); /* borrowed */
    long hexversion = NULL == version ? -1 : PyLong_AsLong(version);
    if (hexversion < 0)
    {
        return -1;
    }
    if (hexversion >= 0x030B0000)
    {
        size_t end = sizeof(hot_view_slots) / sizeof(hot_view_slots[0]) - 3;
        hot_view_slots[end].slot = HOT_BF_GETBUFFER;
        hot_view_slots[end].pfunc = (void *)hot_view_getbuffer;
        hot_view_slots[end + 1].slot = HOT_BF_RELEASEBUFFER;
        hot_view_slots[end + 1].pfunc = (void *)hot_view_releasebuffer;
    }
    return 0;
}

static PyObject *hot_create_module(void)
{
    hot_vectorcall = (hot_vectorcall_t)dlsym(RTLD_DEFAULT, "PyObject_Vectorcall");
    hot_str_fragment_limit = PyUnicode_InternFromString("fragment_limit");
    hot_str_view = PyUnicode_InternFromString("view");
    hot_str_finish = PyUnicode_InternFromString("_finish_close_if_idle");
    hot_str_check_open = PyUnicode_InternFromString("_check_open");
    hot_str_delivery = PyUnicode_InternFromString("_delivery");
    PyObject *module = hot_view_buffer_slots() < 0 ? NULL : PyModule_Create(&hot_module_def);
    if (NULL == module ||
        hot_add_type(module, &hot_header_spec, "HeaderBase", NULL) < 0 ||
        hot_add_type(module, &hot_view_spec, "FragmentView", &hot_view_type) < 0 ||
        hot_add_type(module, &hot_offerer_spec, "Offerer", NULL) < 0 ||
        hot_add_type(module, &hot_poller_spec, "Poller", NULL) < 0 ||
        hot_add_type(module, &hot_delivery_spec, "Delivery", &hot_delivery_type) < 0 ||
        PyModule_AddIntConstant(module, "SUBSCRIPTION", HOT_SUBSCRIPTION) < 0 ||
        PyModule_AddIntConstant(module, "IMAGE", HOT_IMAGE) < 0)
    {
        Py_XDECREF(module);
        return NULL;
    }
    return module;
}

/* Called once through cffi (with the GIL released): makes the module and puts it in
 * sys.modules as aeron_cffi._hot. Returns 0, or -1 with the Python error printed. */
int aeron_cffi_hot_register(void)
{
    PyGILState_STATE state = PyGILState_Ensure();
    int rc = -1;
    PyObject *module = hot_create_module();
    if (NULL != module)
    {
        rc = PyDict_SetItemString(PyImport_GetModuleDict(), "aeron_cffi._hot", module);
        Py_DECREF(module);
    }
    if (rc < 0)
    {
        PyErr_Print();
    }
    PyGILState_Release(state);
    return rc;
}
