from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager):
    """Users sign in with their email address: there is no username."""

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
{%- if cookiecutter.use_stripe == 'y' %}
    class SubscriptionStatus(models.TextChoices):
        NONE = "", "No subscription"
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"
        UNPAID = "unpaid", "Unpaid"
        INCOMPLETE = "incomplete", "Incomplete"

{%- endif %}
    username = None
    email = models.EmailField("email address", unique=True)
    avatar = models.FileField(upload_to="avatars/", blank=True)
{%- if cookiecutter.use_stripe == 'y' %}
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    subscription_status = models.CharField(
        max_length=32, choices=SubscriptionStatus.choices, default="", blank=True
    )
    subscription_current_period_end = models.DateTimeField(null=True, blank=True)
{%- endif %}

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    @property
    def display_name(self):
        return self.get_full_name() or self.email.split("@")[0]
{%- if cookiecutter.use_stripe == 'y' %}

    @property
    def has_active_subscription(self):
        return self.subscription_status in {
            self.SubscriptionStatus.ACTIVE,
            self.SubscriptionStatus.TRIALING,
        }
{%- endif %}
