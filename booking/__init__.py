"""The booking API: customers book and follow repairs, staff run them (``booking.main``)."""
