from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportal.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, our modules, the apps' registries) lives as long as the
# process: moved out of the garbage collector's generations, a full collection no longer walks
# it. Without this, a full collection every dozen inbox pages added about 40 ms to that page
# (docs/benchmarks.md, "The inbox with service levels").
gc.freeze()
