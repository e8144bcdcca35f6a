"""Descriptions of detected events: a vision-language model (VLM) looks at the event's key frames, told what
the detector found; without a VLM, a description is composed from the detector's output and says so.

With a VLM (:func:`~vadkit.models.vlm_loading.load_vlm`), :func:`describe_event` asks the question of
:func:`describe_prompt` (the template is :data:`DESCRIBE_PROMPT`): one image entry per key frame, then the
text, in one user turn formatted by the processor's chat template. Generation is greedy
(``do_sample=False``), so the same model, frames and context give the same text; only the new tokens are
decoded. The result records the model (repo id and commit, or folder), its digest and the prompt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vadkit.errors import ValidationError
from vadkit.types import Event

if TYPE_CHECKING:
    from vadkit.models.vlm_loading import VlmComponents

Box = tuple[float, float, float, float]
"""A region as ``(x_min, y_min, x_max, y_max)`` in pixels of the key frames."""

DESCRIBE_PROMPT = (
    "{frames} of a video segment from {start} to {end} that an anomaly detector flagged as abnormal. "
    "{details}Describe the abnormal event in one or two sentences: what happens, and who or what is "
    "involved. If the images do not show the suspected event, describe what they do show."
)
"""The question put to a VLM, formatted by :func:`describe_prompt`: ``frames`` says how many key frames
there are, ``start``/``end`` are the event's times, ``details`` holds one sentence for each of the region,
the class hypothesis and the evidence summary that are known."""

COMPOSED_NOTE = "(Composed from the detector's output; no vision-language model looked at the frames.)"
"""The sentence that ends every description composed without a VLM."""


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


@dataclass(frozen=True)
class EventContext:
    """What the detector found about one event, told to the VLM.

    Attributes:
        start_s, end_s: the event's time span in seconds (``0 <= start_s < end_s``).
        region: where it happens: a box ``(x_min, y_min, x_max, y_max)`` in pixels of the key frames, or a
            phrase (``"the lower left of the frame"``); ``None`` when unknown.
        class_name: the class hypothesis (``"Fighting"``), if any.
        class_score: its confidence, if known.
        evidence: a short summary of the evidence (``"motion energy 4.2 sigma above normal"``), if any.
    """

    start_s: float
    end_s: float
    region: Box | str | None = None
    class_name: str | None = None
    class_score: float | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s) and 0 <= self.start_s < self.end_s):
            raise ValidationError(
                f"EventContext: need 0 <= start_s < end_s, got {self.start_s}, {self.end_s}"
            )
        if isinstance(self.region, str):
            if not self.region.strip():
                raise ValidationError("EventContext: region must be a non-empty phrase or a box")
        elif self.region is not None:
            box = tuple(float(value) for value in self.region)
            if len(box) != 4 or not all(map(math.isfinite, box)) or box[0] >= box[2] or box[1] >= box[3]:
                raise ValidationError(
                    f"EventContext: region box must be (x_min, y_min, x_max, y_max) with x_min < x_max and "
                    f"y_min < y_max, got {self.region}"
                )
            object.__setattr__(self, "region", box)
        if self.class_name is not None and not self.class_name.strip():
            raise ValidationError("EventContext: class_name must be non-empty when given")
        if self.class_score is not None and not math.isfinite(self.class_score):
            raise ValidationError(f"EventContext: class_score must be finite, got {self.class_score}")

    @classmethod
    def from_event(
        cls, event: Event, *, region: Box | str | None = None, evidence: str | None = None
    ) -> EventContext:
        """The context of an :class:`~vadkit.types.Event`: its time span and class hypothesis, with the
        ``region`` and ``evidence`` summary given."""
        return cls(event.start_s, event.end_s, region, event.class_name, event.class_score, evidence)

    def region_phrase(self) -> str | None:
        """The region in words (a box as its pixel corners), or ``None``."""
        if self.region is None or isinstance(self.region, str):
            return self.region
        x_min, y_min, x_max, y_max = (f"{value:g}" for value in self.region)
        return f"the box from ({x_min}, {y_min}) to ({x_max}, {y_max}) in pixels of the frames"

    def hypothesis_phrase(self) -> str | None:
        """The class hypothesis in words (``'"Fighting" (confidence 0.82)'``), or ``None``."""
        if self.class_name is None:
            return None
        confidence = "" if self.class_score is None else f" (confidence {self.class_score:.2f})"
        return f'"{self.class_name}"{confidence}'


def describe_prompt(context: EventContext, num_frames: int) -> str:
    """:data:`DESCRIBE_PROMPT` filled in for ``context`` and ``num_frames`` key frames."""
    frames = "This image is a key frame" if num_frames == 1 else f"These {num_frames} images are key frames"
    details = ""
    if (region := context.region_phrase()) is not None:
        details += f"The detector located it in {region}. "
    if (hypothesis := context.hypothesis_phrase()) is not None:
        details += f"It suspects {hypothesis}. "
    if context.evidence:
        details += f"Detector evidence: {context.evidence}. "
    return DESCRIBE_PROMPT.format(
        frames=frames + ("" if num_frames == 1 else ", in time order,"),
        start=_seconds(context.start_s),
        end=_seconds(context.end_s),
        details=details,
    )


@dataclass(frozen=True)
class EventDescription:
    """A description of one event and where it came from.

    Attributes:
        text: the description (put it in :attr:`vadkit.types.Event.description`).
        method: ``"vlm"`` (generated) or ``"composed"`` (from the context, without a VLM).
        model: the VLM (:attr:`~vadkit.models.vlm_loading.VlmComponents.name`), ``None`` when composed.
        digest: the VLM's :func:`~vadkit.models.vlm_loading.vlm_digest`, ``None`` when composed.
        prompt: the question asked (:func:`describe_prompt`), ``None`` when composed.
        generated_tokens: how many tokens the VLM generated (equal to ``max_new_tokens`` when it was cut
            off), ``None`` when composed.
    """

    text: str
    method: str
    model: str | None = None
    digest: str | None = None
    prompt: str | None = None
    generated_tokens: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (e.g. for an event's ``evidence``)."""
        return {
            "text": self.text,
            "method": self.method,
            "model": self.model,
            "digest": self.digest,
            "prompt": self.prompt,
            "generated_tokens": self.generated_tokens,
        }


def compose_context_description(context: EventContext) -> EventDescription:
    """A description composed from the context alone, ending with :data:`COMPOSED_NOTE`."""
    text = f"Abnormal event from {_seconds(context.start_s)} to {_seconds(context.end_s)}"
    if (region := context.region_phrase()) is not None:
        text += f", in {region}"
    if (hypothesis := context.hypothesis_phrase()) is not None:
        text += f", suspected to be {hypothesis}"
    if context.evidence:
        text += f"; evidence: {context.evidence}"
    return EventDescription(f"{text}. {COMPOSED_NOTE}", "composed")


def _checked_frames(key_frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    frames = list(key_frames)
    if not frames:
        raise ValidationError("describe_event: no key frames given")
    for index, frame in enumerate(frames):
        if (
            not isinstance(frame, np.ndarray)
            or frame.dtype != np.uint8
            or frame.ndim != 3
            or frame.shape[2] != 3
        ):
            shape = getattr(frame, "shape", None)
            raise ValidationError(
                f"describe_event: key frame {index} must be a (H, W, 3) uint8 RGB array, got "
                f"{type(frame).__name__} {getattr(frame, 'dtype', '')} {shape}"
            )
    return frames


def describe_event(
    vlm: VlmComponents | None,
    key_frames: Sequence[np.ndarray],
    context: EventContext,
    *,
    max_new_tokens: int = 64,
) -> EventDescription:
    """Describe one event: ask ``vlm`` about its key frames (see the module docstring), or compose a
    description from ``context`` when ``vlm`` is ``None``.

    Args:
        vlm: a loaded VLM (:func:`~vadkit.models.vlm_loading.load_vlm`), or ``None``.
        key_frames: the event's key frames in time order, each a ``(H, W, 3)`` uint8 RGB array (the region
            box, if any, is in their pixels); not used when composing.
        context: what the detector found.
        max_new_tokens: the most tokens the VLM may generate.

    Raises:
        ValidationError: ``max_new_tokens < 1``; with a VLM, no key frames, a frame that is not
            ``(H, W, 3)`` uint8, or a processor without a chat template.
    """
    if max_new_tokens < 1:
        raise ValidationError(f"describe_event: max_new_tokens must be at least 1, got {max_new_tokens}")
    if vlm is None:
        return compose_context_description(context)
    frames = _checked_frames(key_frames)
    import torch
    from PIL import Image

    if getattr(vlm.processor, "chat_template", None) is None:
        raise ValidationError(
            f"model {vlm.name}: its processor has no chat template (chat_template.jinja), so the question "
            f"cannot be put to it"
        )
    prompt = describe_prompt(context, len(frames))
    content = [*({"type": "image"} for _ in frames), {"type": "text", "text": prompt}]
    text = vlm.processor.apply_chat_template(
        [{"role": "user", "content": content}], add_generation_prompt=True, tokenize=False
    )
    inputs = vlm.processor(
        images=[Image.fromarray(frame) for frame in frames], text=text, return_tensors="pt"
    )
    device, dtype = vlm.device, vlm.dtype
    inputs = {
        name: value.to(device, dtype) if value.is_floating_point() else value.to(device)
        for name, value in inputs.items()
    }
    with torch.inference_mode():
        output = vlm.model.generate(**inputs, do_sample=False, max_new_tokens=max_new_tokens)
    new_tokens = output[0, inputs["input_ids"].shape[1] :]
    answer = vlm.processor.tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
    return EventDescription(answer, "vlm", vlm.name, vlm.digest, prompt, int(new_tokens.shape[0]))
