from django.urls import path

from pathways.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-in/set-up/", views.sign_in_set_up, name="sign-in-set-up"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("health/", views.health, name="health"),
]
