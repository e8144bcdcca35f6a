"""Video input/output: one reader interface over video files (PyAV) and frame folders (OpenCV).

>>> from vadkit.io import open_video
>>> with open_video("clip.mp4", size=(224, 224)) as reader:  # doctest: +SKIP
...     for index, start, end, frames in reader.iter_snippets(SnippetSpec(length=16)):
...         ...
"""

from vadkit.io.decode_policy import DecodeOutcome, DecodeStatus, OnError, settle_pass
from vadkit.io.frame_folder import DEFAULT_FOLDER_FPS, IMAGE_EXTENSIONS, FrameFolderReader, natural_key
from vadkit.io.opener import open_video
from vadkit.io.pyav_reader import PyAVReader
from vadkit.io.reader import FrameFilter, Size, VideoReader
from vadkit.io.snippet_windows import Snippet, iter_snippet_windows
from vadkit.io.writer import write_frame_folder, write_video

__all__ = [
    "DEFAULT_FOLDER_FPS",
    "IMAGE_EXTENSIONS",
    "DecodeOutcome",
    "DecodeStatus",
    "FrameFilter",
    "FrameFolderReader",
    "OnError",
    "PyAVReader",
    "Size",
    "Snippet",
    "VideoReader",
    "iter_snippet_windows",
    "natural_key",
    "open_video",
    "settle_pass",
    "write_frame_folder",
    "write_video",
]
