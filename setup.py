"""Install MapKD (``pip install -e .``). Dependencies: requirements.txt (see docs/installation.md)."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    reqs = []
    with open(osp.join(HERE, name)) as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-r'):
                reqs.append(line)
    return reqs


setup(
    name='mapkd',
    version='0.1.0',
    description='Cross-modal knowledge distillation for online HD map construction (MapKD)',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mapkd', 'mapkd.*']),
    python_requires='>=3.10,<3.13',
    install_requires=read_requirements('requirements.txt'),
    extras_require={'dev': ['pytest>=7.4', 'pytest-timeout>=2.2']},
    license='Apache-2.0',
)
