"""Who the frontline serves: customers (companies), their contacts (people, often WeCom external
contacts) and customer group chats, each with an owning agent; and where a ticket came from."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    name = models.CharField(_("客户名称"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        verbose_name=_("负责人"),
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("客户")
        constraints = [models.UniqueConstraint(Lower("name"), name="customer_name_unique")]

    def __str__(self):
        return self.name


class Contact(models.Model):
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    email = models.EmailField(_("邮箱"), blank=True, db_index=True)
    # WeCom external contact id (external_userid) and the WeChat union id, when known.
    external_userid = models.CharField(
        _("企业微信外部联系人 ID"), max_length=64, null=True, blank=True, unique=True
    )
    union_id = models.CharField(_("UnionID"), max_length=64, blank=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("所属客户"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        verbose_name=_("负责人"),
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("联系人")

    def __str__(self):
        return self.name


class CustomerGroupChat(models.Model):
    chat_id = models.CharField(_("客户群 ID"), max_length=64, unique=True)
    name = models.CharField(_("群名称"), max_length=100)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_chats",
        verbose_name=_("所属客户"),
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="served_group_chats",
        verbose_name=_("服务人员"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_group_chats",
        verbose_name=_("群主 / 负责人"),
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("客户群")

    def __str__(self):
        return self.name


class TicketOrigin(models.Model):
    """Where a ticket came from beyond its `channel`: the customer, contact and chat. The raw
    channel ids are kept too, so the record survives a contact or chat being deleted."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="origin")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_origins"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_origins"
    )
    group_chat = models.ForeignKey(
        CustomerGroupChat,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_origins",
    )
    external_userid = models.CharField(max_length=64, blank=True)
    chat_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "ticket"], name="origin_customer_ticket")]

    def __str__(self):
        return f"{self.ticket_id}"
