from __future__ import annotations

from pathlib import Path

from annotations.importers.records import ImportRecord, RecordError, VqaRecord
from annotations.importers.vqa_v2 import read_vqa_v2
from tests.annotations.importers.files import real, touch, write_json


def _question(image_id: int, question_id: int, question: str) -> dict[str, object]:
    return {"image_id": image_id, "question": question, "question_id": question_id}


def _annotation(image_id: int, question_id: int, answer: str) -> dict[str, object]:
    return {
        "question_id": question_id,
        "image_id": image_id,
        "multiple_choice_answer": answer,
        "answers": [{"answer": answer, "answer_confidence": "yes", "answer_id": 1}],
        "answer_type": "other",
        "question_type": "what",
    }


def _record(
    root: Path, relative: str, image_id: int, pairs: list[tuple[int, str, str]]
) -> ImportRecord:
    return ImportRecord(
        external_id=str(image_id),
        image_path=real(root / relative),
        caption=None,
        facts=(),
        vqa=tuple(VqaRecord(question, answer) for _, question, answer in pairs),
        metadata={"vqa_v2": {"question_ids": [question_id for question_id, _, _ in pairs]}},
        source=f"questions.json:image_id={image_id}",
    )


def test_vqa_v2_pairs_questions_with_answers_per_image(tmp_path: Path) -> None:
    touch(tmp_path / "COCO_val2014_000000262148.jpg")
    touch(tmp_path / "images" / "393225.png")
    touch(tmp_path / "000000000042.jpg")
    questions = write_json(
        tmp_path / "questions.json",
        {
            "info": {},
            "task_type": "Open-Ended",
            "data_subtype": "val2014",
            "questions": [
                _question(262148, 262148000, "Where is he looking?"),
                _question(393225, 393225000, "What is the bus doing?"),
                _question(262148, 262148001, " What are the people in the background doing? "),
                _question(42, 42000, "Is it raining?"),
                _question(262148, 262148002, "What is he on top of?"),
            ],
        },
    )
    annotations = write_json(
        tmp_path / "annotations.json",
        {
            "annotations": [
                # In another order than the questions: pairing is by question id.
                _annotation(262148, 262148002, "picnic table"),
                _annotation(42, 42000, "no"),
                _annotation(262148, 262148000, "down"),
                _annotation(393225, 393225000, "parking "),
                _annotation(262148, 262148001, "watching"),
            ]
        },
    )

    assert list(read_vqa_v2([questions], [annotations])) == [
        _record(
            tmp_path,
            "COCO_val2014_000000262148.jpg",
            262148,
            [
                (262148000, "Where is he looking?", "down"),
                (262148001, "What are the people in the background doing?", "watching"),
                (262148002, "What is he on top of?", "picnic table"),
            ],
        ),
        _record(
            tmp_path,
            "images/393225.png",
            393225,
            [(393225000, "What is the bus doing?", "parking")],
        ),
        _record(tmp_path, "000000000042.jpg", 42, [(42000, "Is it raining?", "no")]),
    ]


def test_vqa_v2_picks_one_image_file_deterministically(tmp_path: Path) -> None:
    # For image 5: the folder beats images/, then {id}.jpg beats the other names.
    touch(tmp_path / "images" / "5.jpg")
    touch(tmp_path / "COCO_val2014_000000000005.jpg")
    touch(tmp_path / "000000000005.jpg")
    touch(tmp_path / "5.png")
    touch(tmp_path / "5.jpg")
    # For image 6: of two COCO 2014 names the smaller wins; 06.jpg is no name for it.
    touch(tmp_path / "COCO_val2014_000000000006.jpg")
    touch(tmp_path / "COCO_train2014_000000000006.jpg")
    touch(tmp_path / "06.jpg")
    questions = write_json(
        tmp_path / "questions.json",
        {"questions": [_question(5, 50, "Five?"), _question(6, 60, "Six?")]},
    )
    annotations = write_json(
        tmp_path / "annotations.json",
        {"annotations": [_annotation(5, 50, "yes"), _annotation(6, 60, "yes")]},
    )

    assert list(read_vqa_v2([questions], [annotations])) == [
        _record(tmp_path, "5.jpg", 5, [(50, "Five?", "yes")]),
        _record(tmp_path, "COCO_train2014_000000000006.jpg", 6, [(60, "Six?", "yes")]),
    ]


def test_vqa_v2_reports_unanswered_and_mismatched_questions(tmp_path: Path) -> None:
    touch(tmp_path / "1.jpg")
    touch(tmp_path / "2.jpg")
    questions = write_json(
        tmp_path / "questions.json",
        {
            "questions": [
                _question(1, 10, "Answered?"),
                _question(1, 11, "Unanswered?"),
                _question(2, 20, "Only unanswered questions for image 2?"),
                _question(1, 12, "Answered for another image?"),
                _question(1, 13, "Answer refused?"),
                _question(1, 10, "Same id again?"),
                {"image_id": "1", "question_id": 14, "question": "String image id?"},
                _question(1, 15, "  "),
                [1, 16],
            ]
        },
    )
    annotations = write_json(
        tmp_path / "annotations.json",
        {
            "annotations": [
                _annotation(1, 10, "yes"),
                _annotation(3, 12, "elsewhere"),
                _annotation(1, 13, "bad\x00answer"),
                _annotation(1, 10, "a second answer"),
                {"question_id": 99},
                {"image_id": 1, "multiple_choice_answer": "x"},
            ]
        },
    )

    assert list(read_vqa_v2([questions], [annotations])) == [
        RecordError(
            "annotations.json:annotations[2]",
            "invalid_text",
            "multiple_choice_answer contains a NUL character at index 3",
        ),
        RecordError(
            "annotations.json:annotations[3]",
            "invalid_record",
            "question_id 10 is answered by an earlier annotation",
        ),
        RecordError(
            "annotations.json:annotations[4]",
            "invalid_record",
            "image_id must be an integer, not null",
        ),
        RecordError(
            "annotations.json:annotations[5]",
            "invalid_record",
            "question_id must be an integer, not null",
        ),
        RecordError(
            "questions.json:questions[5]",
            "invalid_record",
            "question_id 10 is used by an earlier question",
        ),
        RecordError(
            "questions.json:questions[6]",
            "invalid_record",
            "image_id must be an integer, not string",
        ),
        RecordError("questions.json:questions[7]", "invalid_vqa", "question is empty"),
        RecordError(
            "questions.json:questions[8]",
            "invalid_record",
            "a question must be an object, not array",
        ),
        RecordError(
            "questions.json:questions[1]",
            "vqa_answer_missing",
            "question_id 11 has no answer in the annotations files",
        ),
        RecordError(
            "questions.json:questions[2]",
            "vqa_answer_missing",
            "question_id 20 has no answer in the annotations files",
        ),
        RecordError(
            "questions.json:questions[3]",
            "invalid_record",
            "question_id 12 is asked about image_id 1 but answered for image_id 3",
        ),
        # Question 13's refused answer was reported on its annotation, not again here; image 2
        # has no answered question, so it is not imported.
        _record(tmp_path, "1.jpg", 1, [(10, "Answered?", "yes")]),
    ]


def test_vqa_v2_reports_a_missing_image_once_per_image(tmp_path: Path) -> None:
    questions = write_json(
        tmp_path / "questions.json",
        {"questions": [_question(7, 70, "A?"), _question(7, 71, "B?")]},
    )
    annotations = write_json(
        tmp_path / "annotations.json",
        {"annotations": [_annotation(7, 70, "a"), _annotation(7, 71, "b")]},
    )

    assert list(read_vqa_v2([questions], [annotations])) == [
        RecordError(
            "questions.json:image_id=7",
            "image_missing",
            "no image file for image_id 7 in the folder of the questions file or its images/ "
            "subfolder (looked for 7.jpg, 7.png, 000000000007.jpg and *_000000000007.jpg)",
        )
    ]


def test_vqa_v2_refuses_an_image_symlinked_from_outside(tmp_path: Path) -> None:
    touch(tmp_path / "secret.jpg")
    root = tmp_path / "vqa"
    root.mkdir()
    (root / "7.jpg").symlink_to(tmp_path / "secret.jpg")
    questions = write_json(root / "questions.json", {"questions": [_question(7, 70, "A?")]})
    annotations = write_json(root / "annotations.json", {"annotations": [_annotation(7, 70, "a")]})

    assert list(read_vqa_v2([questions], [annotations])) == [
        RecordError(
            "questions.json:image_id=7",
            "path_outside_root",
            "image: path '7.jpg' leads outside the import root through a symlink",
        )
    ]


def test_vqa_v2_needs_both_files(tmp_path: Path) -> None:
    questions = write_json(tmp_path / "questions.json", {"questions": [_question(1, 10, "A?")]})
    annotations = write_json(
        tmp_path / "annotations.json", {"annotations": [_annotation(1, 10, "a")]}
    )

    assert list(read_vqa_v2([questions], [])) == [
        RecordError(
            "questions.json",
            "vqa_answer_missing",
            "no VQA v2 annotations file was given with this questions file; import both together",
        )
    ]
    assert list(read_vqa_v2([], [annotations])) == [
        RecordError(
            "annotations.json",
            "unsupported_source",
            "a VQA v2 annotations file needs its questions file in the same import",
        )
    ]


def test_vqa_v2_refuses_files_of_the_other_kind(tmp_path: Path) -> None:
    questions = write_json(tmp_path / "questions.json", {"questions": [_question(1, 10, "A?")]})
    annotations = write_json(
        tmp_path / "annotations.json", {"annotations": [_annotation(1, 10, "a")]}
    )

    assert list(read_vqa_v2([annotations], [questions])) == [
        RecordError(
            "questions.json",
            "unsupported_source",
            "expected a VQA v2 annotations file: an object with an 'annotations' array and no "
            "'images'",
        ),
        RecordError(
            "annotations.json",
            "unsupported_source",
            "expected a VQA v2 questions file: an object with a 'questions' array",
        ),
    ]
