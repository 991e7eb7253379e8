"""Items (one image each), their immutable caption versions, facts and VQA pairs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from annotations.models.datasets import Dataset, empty_dict
from annotations.models.knowledge import Entity

MAX_CAPTION_LENGTH = 20_000


class Item(models.Model):
    """One image in a dataset, stored once by content hash.

    Indexes and the queries they serve:
    - ``item_queue``: the annotation queue picks the next item of a dataset by status, in id
      order (``WHERE dataset_id = ? AND status IN (...) ORDER BY id ... FOR UPDATE SKIP LOCKED``).
    - the unique (dataset, id)-leading constraints below also serve the item list's keyset
      pagination and the export scan (``WHERE dataset_id = ? AND id > ? ORDER BY id``) through
      ``item_dataset_id``.
    - ``item_fact_count``, ``item_density``, ``item_coverage``, ``item_vqa_support``: the item
      list's metric range filters and sorts (``WHERE dataset_id = ? AND coverage BETWEEN ? AND
      ? ORDER BY coverage, id``).
    - ``item_priority_queue`` (partial, open items only): the annotation queue's order, highest
      priority first, then id.
    - ``item_kind_counts`` (GIN): "has a fact of kind X" filters (``kind_counts ? 'count'``).
    - ``item_priority``: the item list sorted by priority.

    ``fact_count``, ``density``, ``coverage`` and ``vqa_support`` are the current caption's
    metrics (``annotations.enrichment.metrics``), kept on the item so that filtering and sorting
    a large dataset by them needs no join; ``annotations.services.metrics`` refreshes them
    whenever the current caption, the final facts or the VQA pairs change. ``kind_counts`` holds
    the current caption's facts per kind (``{"object": 3, "count": 1}``), and ``entity_gaps`` how
    many facts of each entity it links to it does not hold (``{"12": 0, "40": 3}``, by entity
    id), refreshed with them.

    ``priority`` orders the annotation queue (higher first); leads raise it from the item
    browser to have thin items annotated next.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_ANNOTATION = "in_annotation", "In annotation"
        IN_REVIEW = "in_review", "In review"
        DONE = "done", "Done"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=500)
    image_sha256 = models.CharField(max_length=64)
    image_path = models.CharField(max_length=300, help_text="Relative to the media root.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mime = models.CharField(max_length=40)
    byte_size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=1000, blank=True, help_text="Where it was imported from.")
    metadata = models.JSONField(default=empty_dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    current_caption = models.ForeignKey(
        "Caption", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_job = models.ForeignKey(
        "Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="imported_items"
    )
    fact_count = models.PositiveIntegerField(null=True, blank=True)
    density = models.FloatField(null=True, blank=True, help_text="Facts per 100 words.")
    coverage = models.FloatField(
        null=True, blank=True, help_text="Share of the reference facts the caption states."
    )
    vqa_support = models.FloatField(
        null=True, blank=True, help_text="Share of the VQA pairs the caption supports."
    )
    kind_counts = models.JSONField(
        default=empty_dict, blank=True, help_text="The current caption's facts per kind."
    )
    entity_gaps = models.JSONField(
        default=empty_dict,
        blank=True,
        help_text="Per knowledge-base entity the current caption links to: its facts not held.",
    )
    priority = models.PositiveSmallIntegerField(
        default=0, help_text="Annotation queue order: higher first."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "external_id"], name="item_external_id_per_dataset"
            ),
            models.UniqueConstraint(
                fields=["dataset", "image_sha256"], name="item_image_per_dataset"
            ),
            models.CheckConstraint(
                condition=models.Q(width__gt=0) & models.Q(height__gt=0),
                name="item_dimensions_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(image_sha256__regex=r"^[0-9a-f]{64}$"),
                name="item_sha256_hex",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(coverage__isnull=True)
                    | (models.Q(coverage__gte=0) & models.Q(coverage__lte=1))
                )
                & (
                    models.Q(vqa_support__isnull=True)
                    | (models.Q(vqa_support__gte=0) & models.Q(vqa_support__lte=1))
                ),
                name="item_metric_shares_unit_interval",
            ),
        ]
        indexes = [
            models.Index(fields=["dataset", "status", "id"], name="item_queue"),
            models.Index(fields=["dataset", "id"], name="item_dataset_id"),
            models.Index(fields=["dataset", "fact_count"], name="item_fact_count"),
            models.Index(fields=["dataset", "density"], name="item_density"),
            models.Index(fields=["dataset", "coverage"], name="item_coverage"),
            models.Index(fields=["dataset", "vqa_support"], name="item_vqa_support"),
            models.Index(
                fields=["dataset", "-priority", "id"],
                name="item_priority_queue",
                condition=models.Q(status__in=["pending", "in_annotation"]),
            ),
            GinIndex(fields=["kind_counts"], name="item_kind_counts"),
            models.Index(fields=["dataset", "priority", "id"], name="item_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}/{self.external_id}"


class Caption(models.Model):
    """One immutable version of an item's caption. Edits create a new row; a trigger refuses
    UPDATE and DELETE (only an audited whole-dataset deletion may remove captions).

    Index ``caption_item_created``: an item's history, newest first; ``caption_text_search``:
    the item list's full-text filter.
    """

    class Origin(models.TextChoices):
        IMPORT = "import", "Import"
        MODEL = "model", "Model"
        ANNOTATOR = "annotator", "Annotator"
        CONSENSUS = "consensus", "Consensus of annotators"
        ADJUDICATION = "adjudication", "Adjudication"

    # The origins of a final caption: what annotators wrote, agreed on, or a lead decided.
    FINAL_ORIGINS = (Origin.ANNOTATOR, Origin.CONSENSUS, Origin.ADJUDICATION)

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="captions")
    text = models.TextField()
    origin = models.CharField(max_length=16, choices=Origin.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="children"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kd_captions",
    )
    model_name = models.CharField(max_length=300, blank=True, help_text="For model output.")
    job = models.ForeignKey(
        "Job", null=True, blank=True, on_delete=models.RESTRICT, related_name="captions"
    )
    word_count = models.PositiveIntegerField(default=0)
    fact_count = models.PositiveIntegerField(default=0)
    density = models.FloatField(default=0.0, help_text="Facts per 100 words.")
    coverage = models.FloatField(
        null=True, blank=True, help_text="Share of the item's reference facts, when created."
    )
    vqa_support = models.FloatField(
        null=True, blank=True, help_text="Share of the item's VQA pairs, when created."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), MAX_CAPTION_LENGTH),
                name="caption_text_max_length",
            ),
            # A model job writes at most one caption per item, so a redelivered chunk cannot
            # add a second one.
            models.UniqueConstraint(
                fields=["job", "item"],
                condition=models.Q(job__isnull=False),
                name="caption_one_per_job_item",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "-created_at"], name="caption_item_created"),
            # The item list's text search: to_tsvector('simple', text) @@ query.
            GinIndex(SearchVector("text", config="simple"), name="caption_text_search"),
        ]

    def __str__(self) -> str:
        return f"caption {self.pk} of item {self.item_id} ({self.origin})"


class Fact(models.Model):
    """One unit of knowledge attached to a caption; immutable like its caption.

    The span, when present, lies inside the caption text: ``0 <= span_start < span_end`` is a
    check constraint, ``span_end <= length(caption.text)`` a trigger (it spans two tables).
    """

    class Kind(models.TextChoices):
        OBJECT = "object", "Object"
        ATTRIBUTE = "attribute", "Attribute"
        RELATION = "relation", "Relation"
        COUNT = "count", "Count"
        TEXT_IN_IMAGE = "text_in_image", "Text in image"
        SCENE = "scene", "Scene"
        WORLD_KNOWLEDGE = "world_knowledge", "World knowledge"

    class Source(models.TextChoices):
        MODEL = "model", "Model"
        KNOWLEDGE_BASE = "knowledge_base", "Knowledge base"
        HUMAN = "human", "Human"
        VQA = "vqa", "VQA"
        IMPORT = "import", "Import"

    caption = models.ForeignKey(Caption, on_delete=models.CASCADE, related_name="facts")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=500)
    predicate = models.CharField(max_length=500)
    value = models.CharField(max_length=2000)
    span_start = models.PositiveIntegerField(null=True, blank=True)
    span_end = models.PositiveIntegerField(null=True, blank=True)
    region = models.JSONField(null=True, blank=True, help_text="[x, y, width, height] in pixels.")
    source = models.CharField(max_length=20, choices=Source.choices)
    confidence = models.FloatField(null=True, blank=True)
    entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="facts_linked"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["caption", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(span_start__isnull=True, span_end__isnull=True)
                    | models.Q(
                        span_start__isnull=False,
                        span_end__isnull=False,
                        span_start__lt=models.F("span_end"),
                    )
                ),
                name="fact_span_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__isnull=True)
                | (models.Q(confidence__gte=0) & models.Q(confidence__lte=1)),
                name="fact_confidence_unit_interval",
            ),
        ]
        # The gap summary's entities linked by current captions.
        indexes = [
            models.Index(
                fields=["caption", "entity"],
                name="fact_entity",
                condition=models.Q(entity__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.predicate} {self.value}"


class VqaPair(models.Model):
    """A question and answer about an item, imported or derived from its facts.

    ``digest`` (sha256 of question and answer) keeps re-imports from adding a pair twice without
    a unique index over unbounded text.
    """

    class Origin(models.TextChoices):
        IMPORT = "import", "Import"
        DERIVED = "derived", "Derived from facts"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="vqa_pairs")
    question = models.TextField()
    answer = models.TextField()
    digest = models.CharField(max_length=64)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    is_supported = models.BooleanField(
        null=True, blank=True, help_text="Whether the current caption supports the answer."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "VQA pair"
        constraints = [
            models.UniqueConstraint(fields=["item", "digest"], name="vqa_pair_once_per_item"),
        ]
        # The gap summary's unsupported pairs.
        indexes = [
            models.Index(
                fields=["item"], name="vqa_unsupported", condition=models.Q(is_supported=False)
            )
        ]

    def __str__(self) -> str:
        return self.question


class FactSuggestion(models.Model):
    """A fact proposed for an item from the gap finder, for its annotators to add or leave.

    A suggestion changes no caption: the annotation workspace lists the item's open suggestions
    beside the facts, and an annotator adds one like any fact of their own. ``gap`` says where
    it came from: an unsupported VQA pair, a knowledge-base entity's fact the caption does not
    hold, or a lead's own entry. ``digest`` (sha256 of the normalised fact) keeps one suggestion
    per item and fact.

    Index ``suggestion_item_created``: an item's suggestions in order.
    """

    class Gap(models.TextChoices):
        UNSUPPORTED_VQA = "unsupported_vqa", "VQA pair the caption does not support"
        ENTITY_FACT = "entity_fact", "Knowledge-base fact not injected"
        MISSING_KIND = "missing_kind", "Fact kind the caption lacks"
        MANUAL = "manual", "Entered by a lead"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=20, choices=Fact.Kind.choices)
    subject = models.CharField(max_length=500)
    predicate = models.CharField(max_length=500)
    value = models.CharField(max_length=2000)
    digest = models.CharField(max_length=64)
    gap = models.CharField(max_length=20, choices=Gap.choices)
    vqa_pair = models.ForeignKey(
        VqaPair, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "digest"], name="suggestion_once_per_item"),
        ]
        indexes = [models.Index(fields=["item", "created_at"], name="suggestion_item_created")]

    def __str__(self) -> str:
        return f"{self.subject} {self.predicate} {self.value}"
