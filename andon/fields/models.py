from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    TEXTAREA = "textarea", _("多行文本")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    DATETIME = "datetime", _("日期时间")
    SELECT = "select", _("单选")
    MULTISELECT = "multiselect", _("多选")
    USER = "user", _("人员")
    BOOLEAN = "boolean", _("是/否")
    ATTACHMENT = "attachment", _("附件")


CHOICE_TYPES = (FieldType.SELECT, FieldType.MULTISELECT)


class FieldDefinition(models.Model):
    """A custom field (字段模板) shown on the filing form of the catalog entries in its scope.

    A level-1 entry in the scope covers all its level-2 entries. Retiring a field (is_active=False)
    hides it from new tickets; values already stored on tickets are never rewritten.
    """

    name = models.CharField(_("字段名称"), max_length=50)
    key = models.SlugField(_("字段标识"), max_length=50, unique=True)
    type = models.CharField(_("字段类型"), max_length=20, choices=FieldType.choices)
    required = models.BooleanField(_("必填"))
    options = models.JSONField(_("选项"), default=list, blank=True)
    help_text = models.CharField(_("提示"), max_length=200, blank=True)
    default = models.JSONField(_("默认值"), null=True, blank=True)
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    scope = models.ManyToManyField("catalog.CatalogEntry", related_name="field_definitions")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.name
