#!/usr/bin/env python3
"""What a window manager does to a window, for the GUI test (Xvfb has no window
manager): `close TITLE` sends WM_DELETE_WINDOW, as a click on the title bar's close
button would; `state TITLE` prints "viewable", "hidden" or "absent".

Plain ctypes over libX11, which WebKitGTK already needs, so the test needs nothing
more installed.
"""

import ctypes
import ctypes.util
import sys

x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
Window = ctypes.c_ulong
Atom = ctypes.c_ulong


class ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", Window),
        ("message_type", Atom),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]


class WindowAttributes(ctypes.Structure):
    # Only map_state is read; the fields before it are laid out as in Xlib.h.
    _fields_ = [
        ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
        ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
        ("root", Window), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int), ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p),
    ]


x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.restype = Window
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XQueryTree.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Window), ctypes.POINTER(Window),
                           ctypes.POINTER(ctypes.POINTER(Window)), ctypes.POINTER(ctypes.c_uint)]
x11.XFetchName.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(ctypes.c_char_p)]
x11.XInternAtom.restype = Atom
x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x11.XSendEvent.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(WindowAttributes)]
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XFree.argtypes = [ctypes.c_void_p]

IS_VIEWABLE = 2


def windows_named(display, title):
    """Top-level windows (children of the root) whose WM_NAME is `title`."""
    root, parent = Window(), Window()
    children = ctypes.POINTER(Window)()
    count = ctypes.c_uint()
    x11.XQueryTree(display, x11.XDefaultRootWindow(display), ctypes.byref(root), ctypes.byref(parent),
                   ctypes.byref(children), ctypes.byref(count))
    found = []
    for i in range(count.value):
        name = ctypes.c_char_p()
        if x11.XFetchName(display, children[i], ctypes.byref(name)) and name.value:
            if name.value.decode("utf-8", "replace") == title:
                found.append(children[i])
    if children:
        x11.XFree(children)
    return found


def main():
    command, title = sys.argv[1], sys.argv[2]
    display = x11.XOpenDisplay(None)
    if not display:
        sys.exit("cannot open the X display")
    windows = windows_named(display, title)
    if command == "state":
        states = []
        for w in windows:
            attributes = WindowAttributes()
            x11.XGetWindowAttributes(display, w, ctypes.byref(attributes))
            states.append(attributes.map_state == IS_VIEWABLE)
        print("absent" if not windows else "viewable" if any(states) else "hidden")
    elif command == "close":
        if not windows:
            sys.exit(f"no window titled {title!r}")
        protocols = x11.XInternAtom(display, b"WM_PROTOCOLS", 0)
        delete = x11.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
        for w in windows:
            event = XEvent()
            event.xclient.type = 33  # ClientMessage
            event.xclient.window = w
            event.xclient.message_type = protocols
            event.xclient.format = 32
            event.xclient.data[0] = delete
            x11.XSendEvent(display, w, 0, 0, ctypes.byref(event))
        x11.XFlush(display)
    else:
        sys.exit(f"unknown command {command!r}")


main()
