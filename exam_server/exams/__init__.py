"""Exams: scheduling, rooms and proctors, the candidate roster, assembled forms ("mã đề") and each
candidate's paper. Live delivery builds on `services.paper_for` and `services.render_paper`."""
