"""A minimal Django project exercising sessionward.django and sessionward.drf (see ../test_django.py)."""
