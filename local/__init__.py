"""`make run`: the real handlers on 127.0.0.1 with AWS emulated in-process."""
