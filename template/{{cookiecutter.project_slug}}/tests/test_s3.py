from django.core.files.storage import storages
from django.test import override_settings
from storages.backends.s3 import S3Storage

S3 = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(
    STORAGES=S3,
    AWS_STORAGE_BUCKET_NAME="media",
    AWS_ACCESS_KEY_ID="minioadmin",
    AWS_SECRET_ACCESS_KEY="minioadmin",
    AWS_S3_ENDPOINT_URL="http://minio.local:9000",
    AWS_QUERYSTRING_AUTH=True,
)
def test_media_storage_is_s3_and_signs_urls_locally():
    storage = storages["default"]
    assert isinstance(storage, S3Storage)
    url = storage.url("avatars/ada.png")
    assert url.startswith("http://minio.local:9000/media/avatars/ada.png?")
    assert "Signature=" in url or "X-Amz-Signature=" in url


def test_local_disk_is_used_without_a_bucket(settings):
    from django.core.files.storage import FileSystemStorage

    assert isinstance(storages["default"], FileSystemStorage)
