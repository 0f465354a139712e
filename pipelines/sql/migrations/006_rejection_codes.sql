-- Schema 6: a rejected row keeps why it was rejected as a code with its parameters (issue
-- 14), so that the upload history and `handover batches show` word it in their language;
-- reason stays the English sentence (all a batch loaded before this version has).
-- field: the template column or survey field of the file's column (null for a whole row).
-- params: the code's parameters as a JSON object (values of the file may stand in it:
-- pipelines/erasure.py erases there too).
alter table batch_rejections add column code varchar;
alter table batch_rejections add column field varchar;
alter table batch_rejections add column params varchar;
