"""The media archive: our own copies of the works' photos and videos.

Platform links expire (Meta's CDN after ~5 days, Douyin's within hours), so the
outputs must show copies we own.  ``guard`` keeps downloads off private
networks, ``fetch`` streams them within size and time limits, ``validate``
judges the bytes by their content, ``derive`` makes the display, thumbnail and
poster files and the perceptual hash, ``storage`` keeps files by SHA-256 in a
folder or an S3-compatible bucket, ``archive`` runs it all for what is due,
``archived`` tells the outputs what there is, ``takedown`` removes a work.
Pillow, PyAV, imagehash and boto3 are imported inside the functions that use them.
"""
