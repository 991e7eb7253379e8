"""VQA v2: a questions file and an annotations file, paired by question id."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotations.importers.fields import (
    IMAGES_SUBFOLDER,
    InvalidRecord,
    display,
    json_type,
    parse_vqa_text,
    read_document_of_kind,
    resolve_image,
)
from annotations.importers.records import (
    ErrorCode,
    ImportRecord,
    ImportResult,
    RecordError,
    VqaRecord,
)

EXPECTED_QUESTIONS = "expected a VQA v2 questions file: an object with a 'questions' array"
EXPECTED_ANNOTATIONS = (
    "expected a VQA v2 annotations file: an object with an 'annotations' array and no 'images'"
)

# COCO 2014 naming, as the VQA v2 images are: COCO_val2014_000000262148.jpg.
_COCO_2014_NAME = re.compile(r".+_(\d{12})\.jpg", re.IGNORECASE)
# 262148.jpg, 262148.png, and COCO 2017 naming, 000000262148.jpg.
_NUMBER_NAME = re.compile(r"(\d+)\.(jpg|png)", re.IGNORECASE)


def is_vqa_v2_questions(document: object) -> bool:
    """Whether a parsed JSON document has the shape of a VQA v2 questions file."""
    return isinstance(document, dict) and "questions" in document and "annotations" not in document


def is_vqa_v2_annotations(document: object) -> bool:
    """Whether a parsed JSON document has the shape of a VQA v2 annotations file."""
    return (
        isinstance(document, dict)
        and "annotations" in document
        and "images" not in document
        and "questions" not in document
    )


def _integer(value: object, *, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field} must be an integer, not {json_type(value)}"
        )
    return value


@dataclass(frozen=True, slots=True)
class _Question:
    index: int
    image_id: int
    question_id: int
    text: str


@dataclass(frozen=True, slots=True)
class _Answer:
    image_id: int
    text: str


@dataclass(frozen=True, slots=True)
class _QuestionsFile:
    path: Path
    questions: list[_Question]


class VqaV2Pairing:
    """Collects VQA v2 questions and annotations files, in any order, then pairs them.

    The documents are reduced to what pairing needs as they are added, so each whole document
    can be freed before the next one is read. Answers from every annotations file form one index
    by question id (VQA v2 question ids are unique across its splits), so train and val files may
    be given together in any order.
    """

    def __init__(self) -> None:
        self._questions_files: list[_QuestionsFile] = []
        self._question_ids: set[int] = set()
        # None marks a question id whose annotation was refused (and reported) already.
        self._answers: dict[int, _Answer | None] = {}
        self._annotations_names: list[str] = []

    def add_questions(self, path: Path, document: Mapping[str, Any]) -> Iterator[RecordError]:
        """Take in a questions document parsed from ``path``; yield its refused questions."""
        name = display(path.name)
        questions = document["questions"]
        if not isinstance(questions, list):
            yield RecordError(
                name,
                ErrorCode.INVALID_RECORD,
                f"'questions' must be an array, not {json_type(questions)}",
            )
            return
        kept: list[_Question] = []
        for index, question in enumerate(questions):
            try:
                kept.append(self._parse_question(question, index))
            except InvalidRecord as invalid:
                yield invalid.at(f"{name}:questions[{index}]")
        self._questions_files.append(_QuestionsFile(path=path, questions=kept))

    def _parse_question(self, question: object, index: int) -> _Question:
        if not isinstance(question, dict):
            raise InvalidRecord(
                ErrorCode.INVALID_RECORD, f"a question must be an object, not {json_type(question)}"
            )
        image_id = _integer(question.get("image_id"), field="image_id")
        question_id = _integer(question.get("question_id"), field="question_id")
        text = parse_vqa_text(question.get("question"), field="question")
        if question_id in self._question_ids:
            raise InvalidRecord(
                ErrorCode.INVALID_RECORD,
                f"question_id {question_id} is used by an earlier question",
            )
        self._question_ids.add(question_id)
        return _Question(index=index, image_id=image_id, question_id=question_id, text=text)

    def add_annotations(self, path: Path, document: Mapping[str, Any]) -> Iterator[RecordError]:
        """Take in an annotations document parsed from ``path``; yield its refused annotations."""
        name = display(path.name)
        self._annotations_names.append(name)
        annotations = document["annotations"]
        if not isinstance(annotations, list):
            yield RecordError(
                name,
                ErrorCode.INVALID_RECORD,
                f"'annotations' must be an array, not {json_type(annotations)}",
            )
            return
        for index, annotation in enumerate(annotations):
            try:
                self._add_annotation(annotation)
            except InvalidRecord as invalid:
                yield invalid.at(f"{name}:annotations[{index}]")

    def _add_annotation(self, annotation: object) -> None:
        if not isinstance(annotation, dict):
            raise InvalidRecord(
                ErrorCode.INVALID_RECORD,
                f"an annotation must be an object, not {json_type(annotation)}",
            )
        question_id = _integer(annotation.get("question_id"), field="question_id")
        if question_id in self._answers:
            raise InvalidRecord(
                ErrorCode.INVALID_RECORD,
                f"question_id {question_id} is answered by an earlier annotation",
            )
        try:
            image_id = _integer(annotation.get("image_id"), field="image_id")
            text = parse_vqa_text(
                annotation.get("multiple_choice_answer"), field="multiple_choice_answer"
            )
        except InvalidRecord:
            # Reported once here; its question is then skipped rather than reported again.
            self._answers[question_id] = None
            raise
        self._answers[question_id] = _Answer(image_id=image_id, text=text)

    def records(self) -> Iterator[ImportResult]:
        """Pair what was added: one record per image that has at least one answered question.

        Questions files are handled in the order they were added; within one, images in the
        order of their first answered question, pairs in question order.
        """
        if not self._annotations_names:
            for questions_file in self._questions_files:
                yield RecordError(
                    display(questions_file.path.name),
                    ErrorCode.VQA_ANSWER_MISSING,
                    "no VQA v2 annotations file was given with this questions file; "
                    "import both together",
                )
            return
        if not self._questions_files:
            for name in self._annotations_names:
                yield RecordError(
                    name,
                    ErrorCode.UNSUPPORTED_SOURCE,
                    "a VQA v2 annotations file needs its questions file in the same import",
                )
            return
        indexes: dict[Path, dict[int, str]] = {}
        for questions_file in self._questions_files:
            root = Path(os.path.realpath(questions_file.path.parent))
            if root not in indexes:
                indexes[root] = _image_index(root)
            yield from self._file_records(questions_file, root, indexes[root])

    def _file_records(
        self, questions_file: _QuestionsFile, root: Path, image_index: dict[int, str]
    ) -> Iterator[ImportResult]:
        name = display(questions_file.path.name)
        by_image: dict[int, list[tuple[int, VqaRecord]]] = {}
        for question in questions_file.questions:
            source = f"{name}:questions[{question.index}]"
            if question.question_id not in self._answers:
                yield RecordError(
                    source,
                    ErrorCode.VQA_ANSWER_MISSING,
                    f"question_id {question.question_id} has no answer in the annotations files",
                )
                continue
            answer = self._answers[question.question_id]
            if answer is None:
                continue
            if answer.image_id != question.image_id:
                yield RecordError(
                    source,
                    ErrorCode.INVALID_RECORD,
                    f"question_id {question.question_id} is asked about image_id "
                    f"{question.image_id} but answered for image_id {answer.image_id}",
                )
            else:
                by_image.setdefault(question.image_id, []).append(
                    (question.question_id, VqaRecord(question=question.text, answer=answer.text))
                )
        for image_id, pairs in by_image.items():
            source = f"{name}:image_id={image_id}"
            try:
                yield _image_record(root, image_index, image_id, pairs, source=source)
            except InvalidRecord as invalid:
                yield invalid.at(source)


def _image_record(
    root: Path,
    image_index: dict[int, str],
    image_id: int,
    pairs: list[tuple[int, VqaRecord]],
    *,
    source: str,
) -> ImportRecord:
    relative = image_index.get(image_id)
    if relative is None:
        raise InvalidRecord(
            ErrorCode.IMAGE_MISSING,
            f"no image file for image_id {image_id} in the folder of the questions file or its "
            f"images/ subfolder (looked for {image_id}.jpg, {image_id}.png, {image_id:012d}.jpg "
            f"and *_{image_id:012d}.jpg)",
        )
    image = resolve_image(root, relative, field="image")
    return ImportRecord(
        external_id=str(image_id),
        image_path=image.path,
        caption=None,
        facts=(),
        vqa=tuple(pair for _, pair in pairs),
        metadata={"vqa_v2": {"question_ids": [question_id for question_id, _ in pairs]}},
        source=source,
    )


def _image_index(root: Path) -> dict[int, str]:
    """Map image ids to image files in ``root`` and ``root/images`` (relative POSIX paths).

    One listing per folder instead of a glob per image. When several files match one id, the
    folder beats images/, then ``{id}.jpg`` beats ``{id}.png``, ``{id:012d}.jpg`` and
    ``*_{id:012d}.jpg``, then the smaller name wins, so the choice never depends on listing
    order.
    """
    best: dict[int, tuple[tuple[int, int, str], str]] = {}
    for folder_rank, folder in enumerate(("", IMAGES_SUBFOLDER)):
        try:
            names = os.listdir(root / folder)
        except OSError:
            # Most datasets have only one of the two folders.
            continue
        for name in names:
            match = _NUMBER_NAME.fullmatch(name)
            if match is not None:
                digits, suffix = match.groups()
                image_id = int(digits)
                if digits == str(image_id):
                    name_rank = 0 if suffix.lower() == "jpg" else 1
                elif len(digits) == 12 and suffix.lower() == "jpg":
                    name_rank = 2
                else:
                    continue
            else:
                match = _COCO_2014_NAME.fullmatch(name)
                if match is None:
                    continue
                image_id = int(match.group(1))
                name_rank = 3
            rank = (folder_rank, name_rank, name)
            relative = f"{folder}/{name}" if folder else name
            if image_id not in best or rank < best[image_id][0]:
                best[image_id] = (rank, relative)
    return {image_id: relative for image_id, (_, relative) in best.items()}


def read_vqa_v2(
    questions_paths: Sequence[Path], annotations_paths: Sequence[Path]
) -> Iterator[ImportResult]:
    """Read VQA v2 questions and annotations files and pair them::

        v2_OpenEnded_mscoco_val2014_questions.json:
          {"questions": [{"image_id": 262148, "question": "Where is he looking?",
                          "question_id": 262148000}]}
        v2_mscoco_val2014_annotations.json:
          {"annotations": [{"question_id": 262148000, "image_id": 262148,
                            "multiple_choice_answer": "down", "answers": [...]}]}

    yields ``ImportRecord(external_id="262148", caption=None, vqa=(VqaRecord("Where is he
    looking?", "down"),), metadata={"vqa_v2": {"question_ids": [262148000]}}, ...)``.

    The answer is ``multiple_choice_answer``; both sides are stripped. The image is found in the
    questions file's folder (the import root), else its ``images/`` subfolder, named
    ``{image_id}.jpg``, ``{image_id}.png``, ``{image_id:012d}.jpg`` (COCO 2017) or
    ``*_{image_id:012d}.jpg`` (COCO 2014); see _image_index for which wins. One record per image
    with an answered question; external_id is ``str(image_id)`` (the same as a COCO import of the
    same images, so the two can be merged).

    A question with no annotation yields ``vqa_answer_missing``; one whose annotation names
    another image yields ``invalid_record``; an annotation refused for its shape or text is
    reported once, on the annotation. Questions files without any annotations file yield one
    ``vqa_answer_missing`` each, and annotations files without any questions file one
    ``unsupported_source`` each. Sources: ``"questions.json:questions[0]"``,
    ``"annotations.json:annotations[0]"``, ``"questions.json:image_id=262148"``.
    """
    pairing = VqaV2Pairing()
    for path in annotations_paths:
        yield from _add_file(
            path, is_vqa_v2_annotations, EXPECTED_ANNOTATIONS, pairing.add_annotations
        )
    for path in questions_paths:
        yield from _add_file(path, is_vqa_v2_questions, EXPECTED_QUESTIONS, pairing.add_questions)
    yield from pairing.records()


def _add_file(
    path: Path,
    is_kind: Callable[[object], bool],
    expected: str,
    add: Callable[[Path, Mapping[str, Any]], Iterator[RecordError]],
) -> Iterator[RecordError]:
    # A function of its own so that the parsed document is freed before the next is read.
    for result in read_document_of_kind(path, is_kind, expected, add):
        assert isinstance(result, RecordError)  # add() yields errors only
        yield result
