from django.apps import AppConfig


class ShippersConfig(AppConfig):
    name = "shippers"
    verbose_name = "Shipper protocols"
