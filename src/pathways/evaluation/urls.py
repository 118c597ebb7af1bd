from django.urls import path  # noqa: F401  (views add their routes here)

app_name = "evaluation"
urlpatterns: list = []
