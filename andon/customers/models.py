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
    # From WeCom (externalcontact/get): the company of a WeCom-user contact, their position,
    # whether they are a WeChat (1) or WeCom (2) user, and when the sync last wrote them.
    corp_name = models.CharField(_("所在企业"), max_length=100, blank=True)
    position = models.CharField(_("职位"), max_length=100, blank=True)
    wecom_type = models.PositiveSmallIntegerField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
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
    # From WeCom (groupchat/get): the owner's userid even when they are not in Andon, the
    # notice, and when WeCom reported the chat dismissed (the record stays for its tickets).
    owner_userid = models.CharField(max_length=64, blank=True)
    notice = models.TextField(_("群公告"), blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
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


class ContactFollower(models.Model):
    """A member who has the contact as a WeCom customer (follow_user), with that member's own
    remark for them. Synced from WeCom; `user` is the Andon person when the member is known."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="followers")
    userid = models.CharField(_("成员 UserID"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_contacts",
    )
    remark = models.CharField(_("备注名"), max_length=100, blank=True)
    description = models.CharField(_("描述"), max_length=255, blank=True)
    remark_corp_name = models.CharField(_("备注企业名称"), max_length=100, blank=True)
    remark_mobiles = models.JSONField(default=list, blank=True)
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "userid"], name="contact_follower_unique")
        ]
        indexes = [models.Index(fields=["user", "contact"], name="follower_user_contact")]

    def __str__(self):
        return f"{self.userid} → {self.contact_id}"


class GroupChatMember(models.Model):
    """Someone in a customer group chat: a corp member (kind 1) or an external contact (kind 2)."""

    class Kind(models.IntegerChoices):
        MEMBER = 1, _("企业成员")
        EXTERNAL = 2, _("外部联系人")

    chat = models.ForeignKey(CustomerGroupChat, on_delete=models.CASCADE, related_name="members")
    member_id = models.CharField(max_length=64)
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_memberships"
    )
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "member_id"], name="chat_member_unique")
        ]
        indexes = [models.Index(fields=["contact", "chat"], name="chat_member_contact")]

    def __str__(self):
        return f"{self.member_id} in {self.chat_id}"
