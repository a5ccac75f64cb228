from django.urls import path

from . import views

urlpatterns = [
    path("send/", views.send),
    path("boom/", views.boom),
]
