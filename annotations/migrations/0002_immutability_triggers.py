"""Triggers that make captions, facts and the audit log immutable, and keep fact spans inside
their caption.

Captions and facts may only disappear with their whole dataset, when an admin deletes it through
the audited service, which sets ``kd.dataset_delete`` for its transaction. The audit log refuses
UPDATE, DELETE and TRUNCATE outright; only a session that sets ``kd.test_truncate`` (the test
settings do, so the test runner can empty tables between tests) may TRUNCATE. A superuser or the
table owner can still disable triggers, which is why ``kd_audit_verify`` checks the hash chain.
"""

from __future__ import annotations

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION kd_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE FUNCTION kd_refuse_change_unless_dataset_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('kd.dataset_delete', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is immutable: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE FUNCTION kd_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('kd.test_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is immutable: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE FUNCTION kd_fact_span_inside_caption() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    caption_length integer;
BEGIN
    IF NEW.span_end IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT char_length(text) INTO caption_length
        FROM annotations_caption WHERE id = NEW.caption_id;
    IF NEW.span_end > caption_length THEN
        RAISE EXCEPTION 'fact span [%, %) is outside its caption (% characters)',
            NEW.span_start, NEW.span_end, caption_length
            USING ERRCODE = 'check_violation', CONSTRAINT = 'fact_span_inside_caption';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER caption_immutable BEFORE UPDATE OR DELETE ON annotations_caption
    FOR EACH ROW EXECUTE FUNCTION kd_refuse_change_unless_dataset_delete();
CREATE TRIGGER caption_no_truncate BEFORE TRUNCATE ON annotations_caption
    FOR EACH STATEMENT EXECUTE FUNCTION kd_refuse_truncate();
CREATE TRIGGER fact_immutable BEFORE UPDATE OR DELETE ON annotations_fact
    FOR EACH ROW EXECUTE FUNCTION kd_refuse_change_unless_dataset_delete();
CREATE TRIGGER fact_no_truncate BEFORE TRUNCATE ON annotations_fact
    FOR EACH STATEMENT EXECUTE FUNCTION kd_refuse_truncate();
CREATE TRIGGER fact_span_inside_caption BEFORE INSERT ON annotations_fact
    FOR EACH ROW EXECUTE FUNCTION kd_fact_span_inside_caption();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON annotations_auditevent
    FOR EACH ROW EXECUTE FUNCTION kd_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON annotations_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION kd_refuse_truncate();
"""

BACKWARD = r"""
DROP TRIGGER audit_no_truncate ON annotations_auditevent;
DROP TRIGGER audit_append_only ON annotations_auditevent;
DROP TRIGGER fact_span_inside_caption ON annotations_fact;
DROP TRIGGER fact_no_truncate ON annotations_fact;
DROP TRIGGER fact_immutable ON annotations_fact;
DROP TRIGGER caption_no_truncate ON annotations_caption;
DROP TRIGGER caption_immutable ON annotations_caption;
DROP FUNCTION kd_fact_span_inside_caption();
DROP FUNCTION kd_refuse_truncate();
DROP FUNCTION kd_refuse_change_unless_dataset_delete();
DROP FUNCTION kd_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
